"""How escalations react to recovery's facts (backend/common/events.py); registered in EscalationsConfig.ready()."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from backend.common.errors import DomainError
from backend.common.events import subscribe
from backend.escalations.services.assignment import escalations_cancel_for_withdrawn_consent
from backend.escalations.services.offers import escalation_create
from backend.recovery.events import ConsentWithdrawn, ScreeningFlagged
from backend.recovery.models import Client, ConsentScope, Screening
from backend.recovery.selectors import consent_in_force


@subscribe(ConsentWithdrawn)
def cancel_cases_on_referral_withdrawn(event: ConsentWithdrawn) -> None:
    """No referral without consent: cases not yet taken by staff are called off with the withdrawal. Without
    data-collection consent nothing is processed at all: the same, and staff holding a case are told (the push
    says nothing of the client) and lose the client from their phone."""
    if event.scope == ConsentScope.REFERRAL:
        reason = _("Persetujuan rujukan ditarik.")
    elif event.scope == ConsentScope.DATA_COLLECTION:
        reason = _("Persetujuan pengumpulan data ditarik.")
    else:
        return
    with translation.override("id"):  # stored: the source language whatever the request's
        text = str(reason)
    escalations_cancel_for_withdrawn_consent(
        client_id=event.client_id,
        actor=event.actor,
        reason=text,
        data_collection=event.scope == ConsentScope.DATA_COLLECTION,
    )


def _screening_reason(screening: Screening) -> str:
    """The case's reason, in the source language whatever the request's (it is stored)."""
    high = ", ".join(s for s, r in screening.scores.items() if r.get("risk") == "high")
    with translation.override("id"):
        reason = str(_("Hasil ASSIST: risiko tinggi (%(substances)s).") % {"substances": high or "-"})
        if screening.injected_recently:
            injecting = str(_("Hasil ASSIST: menyuntik dalam 3 bulan terakhir."))
            reason = f"{injecting} {reason}" if high else injecting
    return reason


@subscribe(ScreeningFlagged)
def escalate_flagged_screening(event: ScreeningFlagged) -> None:
    """Escalate a flagged screening for assessment (urgent after recent injecting), and record on the screening
    what happened: the escalation, or why there is none (no referral consent, an open case already)."""
    screening = event.screening
    escalation_id, blocked = None, ""
    if not consent_in_force(client_id=screening.client_id, scope=ConsentScope.REFERRAL):
        blocked = "consent_required"
    else:
        try:
            with transaction.atomic():
                escalation = escalation_create(
                    actor=event.actor,
                    client=Client.objects.get(id=screening.client_id),
                    need="assessment",
                    urgency="urgent" if screening.injected_recently else "routine",
                    reason=_screening_reason(screening),
                    source="screening",
                )
            escalation_id = escalation.id
        except DomainError as exc:  # e.g. an open escalation already exists: the screening still stands
            blocked = exc.code
    screening.escalation_id, screening.escalation_blocked_reason = escalation_id, blocked
    screening.save(update_fields=["escalation_id", "escalation_blocked_reason"])
