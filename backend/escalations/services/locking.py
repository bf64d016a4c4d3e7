"""Locks and the checks made under them, for the escalation services, in one place.

The caller checked that the actor may see the case (backend/reads/escalations.py `escalation_require_in_scope`,
404 out of scope: Zulip's views -> actions split); what is checked here is what the case itself allows.

Lock order, everywhere: an escalation's pending offers first, then the escalation row. An answer and the expiry
sweep claim the offer (a conditional UPDATE), then lock the escalation; assign and cancel lock the pending
offers, then the escalation (`offers_lock_pending`). So two paths never wait on each other in a cycle.
"""

from __future__ import annotations

import uuid

from django.db import DatabaseError, transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.accounts.scope import scope_for
from backend.common.errors import Conflict, PermissionDenied, StaleVersion
from backend.escalations.models import Escalation, Offer, OfferStatus
from backend.escalations.services.support import case_consents_require


def escalation_lock(escalation_id: uuid.UUID) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("client", "referred_from", "referred_to_facility", "facility")
        .get(id=escalation_id)
    )


def escalation_version_check(esc: Escalation, *, version: int | None) -> None:
    """A stale `version` (when the phone sends the one it last read): 409 `stale_version`, which the read side
    answers with the record as the caller may see it."""
    if version is None or version == esc.version:
        return
    raise StaleVersion(_("Eskalasi sudah diubah di tempat lain."), entity="escalation", entity_id=esc.id)


def offers_lock_pending(escalation_id: uuid.UUID) -> tuple[Escalation, list[Offer]]:
    """Lock the escalation's pending offers, then the escalation: the order every path takes (an answer and the
    expiry sweep claim the offer, then lock the escalation), so two paths never wait on each other in a cycle.

    An offer made between the two locks (a decline or expiry that committed meanwhile re-routed the case) is
    locked without waiting: if its staff member is answering it right now, they hold it and wait for the
    escalation we hold, so we step back with 409 `escalation_busy` rather than deadlock."""
    pending = Offer.objects.select_for_update(of=("self",)).filter(
        escalation_id=escalation_id, status=OfferStatus.PENDING
    )
    locked = list(pending.order_by("id"))
    esc = escalation_lock(escalation_id)
    known = [o.id for o in locked]
    try:
        with transaction.atomic():
            locked += list(
                Offer.objects.select_for_update(of=("self",), nowait=True)
                .filter(escalation_id=escalation_id, status=OfferStatus.PENDING)
                .exclude(id__in=known)
            )
    except DatabaseError:
        raise Conflict(
            _("Eskalasi ini sedang diubah oleh orang lain; coba lagi."), code="escalation_busy"
        ) from None
    return esc, locked


def escalation_status_require(esc: Escalation, statuses: tuple[str, ...], message: str | None = None) -> None:
    """409 `invalid_escalation_status` (with the current status) unless the case is in one of `statuses`."""
    if esc.status not in statuses:
        raise Conflict(
            message or _("Langkah ini tidak sesuai dengan status eskalasi."),
            code="invalid_escalation_status",
            extra={"current_status": esc.status},
        )


def case_lock_for_action(
    *,
    escalation_id: uuid.UUID,
    actor: User,
    statuses: tuple[str, ...],
    version: int | None = None,
    needs_consent: bool = True,
) -> Escalation:
    """Lock the case for the assigned staff member (or their facility's admin; the caller checked the case is in
    the actor's scope). Someone else's case: 403; a step that does not fit the case's status, or a stale `version` (when the
    phone sends the version it last read): 409 with the current record. A step that processes the case
    (`needs_consent`: all but closing it) after the client withdrew consent: 409 `consent_required`; closing
    stays allowed, since it ends the processing."""
    esc = escalation_lock(escalation_id)
    scope = scope_for(actor)
    if esc.assigned_to_id != actor.id and esc.facility_id not in scope.admin_facility_ids:
        raise PermissionDenied(
            _("Hanya petugas yang menangani kasus ini yang dapat melakukannya."), code="not_assigned_to_you"
        )
    escalation_status_require(esc, statuses)
    escalation_version_check(esc, version=version)
    if needs_consent:
        case_consents_require(client_id=esc.client_id)
    return esc
