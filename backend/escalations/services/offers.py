"""Creating an escalation and the answers to its offers: accept, decline, expire.

Concurrency: every answer to an offer is a conditional UPDATE on the offer row (`status='pending'` and, for an
accept, not yet expired): exactly one of two racing requests (two taps, or an accept racing the expiry sweep)
changes it, the other gets 409 `offer_not_open`. The escalation row is then locked (locking.py: offers first,
escalation second). A partial unique index keeps one pending offer per escalation and one open escalation per
client and need."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import Conflict, ErrorDetail, PermissionDenied, ValidationFailed
from backend.escalations.models import (
    OPEN_STATUSES,
    Escalation,
    EscalationStatus,
    Need,
    Offer,
    OfferStatus,
    Urgency,
)
from backend.escalations.services.locking import escalation_lock
from backend.escalations.services.routing_flow import offer_next
from backend.escalations.services.support import (
    case_consents_require,
    escalation_ids,
    escalation_log_change,
    escalation_log_left,
    escalation_save,
    notify_field_workers,
)
from backend.recovery.lifecycle import can_transition
from backend.recovery.models import Client
from backend.recovery.transitions import client_transition
from notifications.services import notification_settle, notify
from villages.models import Facility


def _validate_new(*, need: str, urgency: str) -> None:
    details = []
    if need not in Need.values:
        details.append(ErrorDetail("need", "invalid_choice", _("Pilihan tidak valid.")))
    if urgency not in Urgency.values:
        details.append(ErrorDetail("urgency", "invalid_choice", _("Pilihan tidak valid.")))
    if details:
        raise ValidationFailed(details=details)


def escalation_create(
    *,
    actor: User | None,
    client: Client,
    need: str,
    urgency: str,
    reason: str,
    location: Point | None = None,
    source: str = "manual",
    referred_from: Escalation | None = None,
    referred_to_facility: Facility | None = None,
) -> Escalation:
    """Escalate `client` and offer the case to the nearest eligible staff member (or the coordinator).

    Raises 409 `consent_required` without referral and data-collection consent in force (an escalation
    processes the client's health data), and 409 `escalation_open` (with the open escalation's id in
    `existing`) when the client already has an open escalation of this need. The caller (a screening, say) may
    catch those: both are `DomainError`s and nothing was written.
    """
    _validate_new(need=need, urgency=urgency)
    case_consents_require(client_id=client.id)
    now = timezone.now()
    with transaction.atomic():
        esc = Escalation(
            client=client,
            need=need,
            urgency=urgency,
            reason=reason.strip(),
            location=location,
            status=EscalationStatus.OFFERED,
            created_by=actor,
            source=source,
            referred_from=referred_from,
            referred_to_facility=referred_to_facility,
            created_at=now,
            updated_at=now,
        )
        try:
            with transaction.atomic():
                esc.save(force_insert=True)
        except IntegrityError:
            existing = Escalation.objects.filter(client=client, need=need, status__in=OPEN_STATUSES).first()
            raise Conflict(
                _("Klien ini sudah memiliki eskalasi terbuka untuk kebutuhan yang sama."),
                code="escalation_open",
                extra={
                    "existing": {
                        "id": str(existing.id) if existing else None,
                        "status": existing.status if existing else None,
                    }
                },
            ) from None
        offer = offer_next(esc, now=now, new=True)
        # A new case's offers: the one just made, or none. The creation's response (reads/escalation_records)
        # shows them from here rather than reading them again.
        esc.offers_made = [offer] if offer is not None else []  # type: ignore[attr-defined]
        return esc


def _answer_offer(*, escalation_id: uuid.UUID, actor: User, accept: bool, reason: str = "") -> Offer:
    """Close the actor's pending offer with one conditional UPDATE: exactly one racing answer wins.

    Someone who was ever offered the case gets 409 `offer_not_open` for a late answer even though a declined,
    expired or withdrawn offer no longer keeps the case in their scope: they know of the case already, and a
    409 tells their phone why better than a 404 would. Anyone else out of scope: 404, from the caller
    (backend/reads/escalations.py `escalation_require_answerable`)."""
    now = timezone.now()
    mine = Offer.objects.filter(escalation_id=escalation_id, staff_id=actor.id)
    if not mine.exists():  # the caller checked the case is in the actor's scope (else 404)
        raise PermissionDenied(_("Kasus ini tidak ditawarkan kepada Anda."), code="not_offered_to_you")
    offer = mine.filter(status=OfferStatus.PENDING).first()
    won = 0
    if offer is not None:
        claim = Offer.objects.filter(id=offer.id, status=OfferStatus.PENDING)
        if accept:
            won = claim.filter(expires_at__gt=now).update(status=OfferStatus.ACCEPTED, answered_at=now)
        else:
            won = claim.update(status=OfferStatus.DECLINED, answered_at=now, decline_reason=reason)
    if won != 1:
        raise Conflict(_("Tawaran ini sudah tidak berlaku."), code="offer_not_open")
    notification_settle(recipient_id=actor.id, event_key=f"offer:{offer.id}")  # type: ignore[union-attr]
    offer.refresh_from_db()  # type: ignore[union-attr]
    return offer  # type: ignore[return-value]


def offer_accept(*, escalation_id: uuid.UUID, actor: User) -> Escalation:
    """The offered staff member takes the case: assigned, client escalated, the field workers told."""
    with transaction.atomic():
        offer = _answer_offer(escalation_id=escalation_id, actor=actor, accept=True)
        # After the claim (so 404/403/409 `offer_not_open` come first); raising rolls the claim back.
        case_consents_require(client_id=offer.escalation.client_id)
        now = offer.answered_at or timezone.now()
        esc = escalation_lock(escalation_id)
        esc.status, esc.assigned_to, esc.facility_id, esc.accepted_at = (
            EscalationStatus.ACCEPTED,
            actor,
            offer.facility_id,
            now,
        )
        escalation_save(esc, now, "status", "assigned_to", "facility", "accepted_at")
        if can_transition(esc.client.status, "escalated"):
            client_transition(
                client_id=esc.client_id, to_status="escalated", actor=actor, reason=f"escalation:{esc.id}"
            )
        creator = [esc.created_by] if esc.created_by_id and esc.created_by_id != actor.id else []
        notify_field_workers(
            esc, kind="escalation_accepted", event_key=f"escalation:{esc.id}:accepted", also=creator
        )
        escalation_log_change(esc)
        return esc


def offer_decline(*, escalation_id: uuid.UUID, actor: User, reason: str) -> Escalation:
    """The offered staff member declines (reason required): the next candidate is offered the case."""
    if not reason.strip():
        raise ValidationFailed(details=[ErrorDetail("reason", "required", _("Wajib diisi."))])
    with transaction.atomic():
        offer = _answer_offer(escalation_id=escalation_id, actor=actor, accept=False, reason=reason.strip())
        esc = escalation_lock(escalation_id)
        esc.attempts += 1
        escalation_save(esc, offer.answered_at, "attempts")  # type: ignore[arg-type]
        escalation_log_left(esc, staff_id=offer.staff_id)
        offer_next(esc, now=offer.answered_at)  # type: ignore[arg-type]
        return esc


def offers_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat sweep: expire pending offers past their deadline and move each case on. Returns how many.

    One transaction per offer, claimed with SKIP LOCKED: two sweeps never take the same offer, and an accept
    holding the row makes the sweep skip it (the accept's conditional UPDATE decides the race otherwise).
    """
    now = now or timezone.now()
    done = 0
    for _round in range(limit):
        with transaction.atomic():
            offer = (
                Offer.objects.select_for_update(skip_locked=True)
                .filter(status=OfferStatus.PENDING, expires_at__lte=now)
                .order_by("expires_at")
                .first()
            )
            if offer is None:
                break
            Offer.objects.filter(id=offer.id, status=OfferStatus.PENDING).update(
                status=OfferStatus.EXPIRED, answered_at=now
            )
            esc = escalation_lock(offer.escalation_id)
            esc.attempts += 1
            escalation_save(esc, now, "attempts")
            escalation_log_left(esc, staff_id=offer.staff_id)
            notify(
                recipient=offer.staff,
                kind="escalation_offer_expired",
                event_key=f"offer:{offer.id}:expired",
                params={"client_code": esc.client.code},
                data=escalation_ids(esc, offer_id=offer.id),
            )
            offer_next(esc, now=now)
            done += 1
    return done
