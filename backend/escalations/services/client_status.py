"""A client's status changed by hand through the API, where the escalation rules meet the lifecycle.

It lives with the escalations, not in recovery: "escalated" is the escalation's doing, and the check reads
escalations, which recovery may not import."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import Conflict, ErrorDetail, FieldErrors
from backend.escalations.models import AWAITING_OUTCOME_STATUSES, Escalation
from backend.recovery.lifecycle import IN_TREATMENT, ClientStatus, can_transition
from backend.recovery.models import Client
from backend.recovery.selectors import consent_require
from backend.recovery.texts import text_clean
from backend.recovery.transitions import client_transition


def client_status_change(*, actor: User, client_id: uuid.UUID, to_status: str, reason: str = "") -> Client:
    """A lifecycle transition requested through the API, for a client whose full record the caller checked the
    actor may change (backend/reads/clients.py `client_get_for_write`): the rules a person's hand must meet, then
    the one transition service.

    Escalated and the treatment statuses mean the client was referred: they need the client's referral consent
    in force (409 `consent_required`, as for an escalation). "Escalated" is, moreover, the escalation's doing:
    offer_accept moves the client there when a staff member takes the case. By hand it is accepted only while
    such a case exists (the client's status had drifted from it); otherwise 409 `escalation_required`: start an
    escalation instead, which routes the case to someone who will take it. The escalation services call
    client_transition directly and are not bound by these checks (they run their own).
    """
    errors = FieldErrors()
    reason = text_clean(reason, field="reason", max_length=1000, errors=errors)
    errors.raise_if_any()
    with transaction.atomic():
        # The row lock orders this check with consent events (they take the same lock): a withdrawal cannot
        # slip between the check and the move.
        status = Client.objects.select_for_update().values_list("status", flat=True).get(id=client_id)
        if can_transition(status, to_status) and (
            to_status == ClientStatus.ESCALATED or to_status in IN_TREATMENT
        ):
            consent_require(client_id=client_id, scope="referral")
            if (
                to_status == ClientStatus.ESCALATED
                and not Escalation.objects.filter(
                    client_id=client_id, status__in=AWAITING_OUTCOME_STATUSES
                ).exists()
            ):
                raise Conflict(
                    _("Status dieskalasi diberikan saat petugas menerima kasus: buat eskalasi."),
                    code="escalation_required",
                    details=[
                        ErrorDetail("to", "escalation_required", _("Tidak ada kasus yang diterima petugas."))
                    ],
                )
        return client_transition(client_id=client_id, to_status=to_status, actor=actor, reason=reason)
