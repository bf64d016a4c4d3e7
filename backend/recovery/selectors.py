"""Reads of recovery's own facts that need no reader's scope: consent in force, whether a family member may be
contacted.

Reads that start from the caller's scope are backend/reads/clients.py (the rules: backend/access/policy.py).
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext_lazy as _

from backend.common.errors import Conflict, ErrorDetail
from backend.common.prepared import fetch_prepared
from backend.recovery.models import Consent, ConsentScope, FamilyMember


def consent_in_force(*, client_id: uuid.UUID, scope: str) -> bool:
    """True when the latest consent event of `scope` for the client is a given (not withdrawn) consent."""
    latest = (
        Consent.objects.filter(client_id=client_id, scope=scope)
        .order_by("-recorded_at")
        .values_list("given", flat=True)
        .first()
    )
    return bool(latest)


# The latest event of each scope. Prepared once per connection (backend/common/prepared.py): every write about
# a client asks (an escalation twice).
_IN_FORCE = (
    "SELECT DISTINCT ON (scope) scope, given FROM recovery_consent WHERE client_id = %(client)s::uuid "
    "ORDER BY scope, recorded_at DESC"
)


def consents_in_force(*, client_id: uuid.UUID) -> dict[str, bool]:
    """Every scope -> in force, in one query."""
    state = {s: False for s in ConsentScope.values}
    state.update({scope: given for scope, given in fetch_prepared(_IN_FORCE, {"client": str(client_id)})})
    return state


def consent_require(*, client_id: uuid.UUID, scope: str) -> None:
    """Raise 409 `consent_required` (details: the missing scope) unless consent of `scope` is in force.

    409, not 422: the request itself is well-formed; the client's recorded state forbids it until consent is
    recorded, after which the very same request succeeds.
    """
    if not consent_in_force(client_id=client_id, scope=scope):
        raise Conflict(
            _("Persetujuan klien belum ada atau sudah ditarik."),
            code="consent_required",
            details=[
                ErrorDetail(
                    f"consent.{scope}",
                    "consent_required",
                    _("Persetujuan '%(scope)s' diperlukan.") % {"scope": scope},
                )
            ],
            extra={"missing_consent": scope},
        )


def family_contact_allowed(*, client_id: uuid.UUID, member: FamilyMember) -> bool:
    """May anyone contact this family member about this client? They agreed, and contact_family is in force."""
    return bool(member.may_contact) and consent_in_force(client_id=client_id, scope="contact_family")


def family_contact_require(*, client_id: uuid.UUID, member: FamilyMember) -> None:
    """Raise `consent_required` unless the family member may be contacted about the client."""
    consent_require(client_id=client_id, scope="contact_family")
    if not member.may_contact:
        raise Conflict(
            _("Anggota keluarga ini tidak bersedia dihubungi."),
            code="family_contact_not_allowed",
            details=[ErrorDetail("may_contact", "family_contact_not_allowed", _("Tidak boleh dihubungi."))],
        )
