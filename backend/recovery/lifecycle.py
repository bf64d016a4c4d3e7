"""The path of a client (DOMAIN.md), as pure rules: which status may follow which.

identified -> screened -> community_recovery -> escalated -> in treatment (outpatient | inpatient | methadone)
-> post_rehab -> recovered; and from any active status: dropped_out, lost_contact, moved, deceased.
A client who dropped out, lost contact or moved may be found again (back to identified or community recovery).
Deceased is final.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Teridentifikasi")
    SCREENED = "screened", _("Sudah diskrining")
    COMMUNITY_RECOVERY = "community_recovery", _("Pemulihan berbasis masyarakat")
    ESCALATED = "escalated", _("Dieskalasi")
    OUTPATIENT = "outpatient", _("Rawat jalan")
    INPATIENT = "inpatient", _("Rawat inap")
    METHADONE = "methadone", _("Terapi rumatan metadon")
    POST_REHAB = "post_rehab", _("Pascarehabilitasi")
    RECOVERED = "recovered", _("Pulih")
    DROPPED_OUT = "dropped_out", _("Putus program (DO)")
    LOST_CONTACT = "lost_contact", _("Putus kontak")
    MOVED = "moved", _("Pindah")
    DECEASED = "deceased", _("Meninggal")


S = ClientStatus
IN_TREATMENT = frozenset({S.OUTPATIENT, S.INPATIENT, S.METHADONE})
EXITS = frozenset({S.DROPPED_OUT, S.LOST_CONTACT, S.MOVED, S.DECEASED})
# Statuses after which a client no longer needs a phone's attention (they leave the offline set).
CLOSED = frozenset({S.RECOVERED, S.MOVED, S.DECEASED})
ACTIVE = frozenset(set(S) - EXITS - {S.RECOVERED})

_FORWARD: dict[str, frozenset[str]] = {
    S.IDENTIFIED: frozenset({S.SCREENED, S.COMMUNITY_RECOVERY, S.ESCALATED}),
    S.SCREENED: frozenset({S.COMMUNITY_RECOVERY, S.ESCALATED}),
    S.COMMUNITY_RECOVERY: frozenset({S.SCREENED, S.ESCALATED, S.RECOVERED}),
    S.ESCALATED: frozenset({S.COMMUNITY_RECOVERY} | IN_TREATMENT),
    S.OUTPATIENT: frozenset({S.INPATIENT, S.METHADONE, S.POST_REHAB, S.COMMUNITY_RECOVERY}),
    S.INPATIENT: frozenset({S.OUTPATIENT, S.METHADONE, S.POST_REHAB}),
    S.METHADONE: frozenset({S.OUTPATIENT, S.INPATIENT, S.POST_REHAB}),
    S.POST_REHAB: frozenset({S.RECOVERED, S.ESCALATED, S.COMMUNITY_RECOVERY}),
    S.RECOVERED: frozenset({S.ESCALATED, S.COMMUNITY_RECOVERY}),  # relapse
    S.DROPPED_OUT: frozenset({S.IDENTIFIED, S.COMMUNITY_RECOVERY, S.ESCALATED}),
    S.LOST_CONTACT: frozenset({S.IDENTIFIED, S.COMMUNITY_RECOVERY, S.ESCALATED}),
    S.MOVED: frozenset({S.IDENTIFIED, S.COMMUNITY_RECOVERY}),
    S.DECEASED: frozenset(),
}


def allowed_next(current: str) -> frozenset[str]:
    """Every status that may follow `current`."""
    forward = _FORWARD[current]
    if current == S.DECEASED:
        return forward
    exits = EXITS - {current}
    if current in EXITS:
        exits = frozenset({S.DECEASED, S.MOVED} - {current})
    return forward | exits


def can_transition(current: str, target: str) -> bool:
    return target in S.values and current != target and target in allowed_next(current)
