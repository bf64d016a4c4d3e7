"""The one way escalations change: create, offer, accept, decline, expire, assign by hand, schedule, record the
outcome (and refer on), close.

Concurrency: every answer to an offer is a conditional UPDATE on the offer row (`status='pending'` and, for an
accept, not yet expired): exactly one of two racing requests (two taps, or an accept racing the expiry sweep)
changes it, the other gets 409 `offer_not_open`. The escalation row is then locked (offer first, escalation
second, everywhere) for the follow-up. A partial unique index keeps one pending offer per escalation and one open
escalation per client and need.

Side effects: notifications are stored in the same transaction (notify pushes after commit); every change is
appended to the sync change log.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import scope_for
from backend.accounts.models import Role, RoleAssignment, User
from backend.errors import Conflict, ErrorDetail, NotFound, PermissionDenied, ValidationFailed
from backend.escalations import routing, sla
from backend.escalations.areas import AreaSettings, ancestor_codes, area_settings
from backend.escalations.models import (
    Escalation,
    EscalationStatus,
    Need,
    Offer,
    OfferStatus,
    TaskKind,
    Urgency,
)

# Re-exported: the visit sync calls `services.tasks_complete_for_visit(visit=...)` for every visit it stores.
from backend.escalations.task_rules import tasks_complete_for_visit  # noqa: F401
from backend.recovery.models import Client
from backend.sync.services import change_record
from villages.models import Facility

S = EscalationStatus
OPEN_STATUSES = (S.OFFERED, S.WITH_COORDINATOR, S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED)
OUTCOMES = ("outpatient", "inpatient", "methadone", "community_follow_up", "no_treatment_needed")
# Where the client goes on each outcome. "No treatment needed" also returns the client to community recovery:
# "escalated" is a waiting state, and the programme keeps supporting them in the village.
OUTCOME_CLIENT_STATUS = {
    "outpatient": "outpatient",
    "inpatient": "inpatient",
    "methadone": "methadone",
    "community_follow_up": "community_recovery",
    "no_treatment_needed": "community_recovery",
}
FOLLOW_UP_DAYS = 3  # after an outcome, the volunteer checks on the client within three days (area's calendar)


# --- Helpers -----------------------------------------------------------------------------------------------


def _notify(**kwargs: Any) -> None:
    from notifications.services import notify

    notify(**kwargs)


def _ids(esc: Escalation, **more: Any) -> dict[str, str]:
    return {
        "escalation_id": str(esc.id),
        "client_id": str(esc.client_id),
        **{k: str(v) for k, v in more.items()},
    }


def _record(esc: Escalation, *, staff_id: Any = None) -> None:
    """Change log: the client's village sees it, and the staff member it is offered/assigned to."""
    change_record(
        entity="escalation",
        entity_id=esc.id,
        village_code=esc.client.village_id,
        client_id=esc.client_id,
        user_id=staff_id or esc.assigned_to_id,
    )


def _save(esc: Escalation, now: datetime, *fields: str) -> None:
    esc.version += 1
    esc.updated_at = now
    esc.save(update_fields=[*fields, "version", "updated_at"])


def field_workers(esc: Escalation) -> list[User]:
    """Who gets the field tasks: the client's assigned volunteers, else whoever escalated in the village
    (walking back a referral chain, since a referral is created by staff)."""
    volunteers = list(esc.client.assigned_volunteers.filter(is_active=True))
    if volunteers:
        return volunteers
    node: Escalation | None = esc
    while node is not None:
        if node.source != "referral" and node.created_by_id is not None:
            return [node.created_by] if node.created_by.is_active else []  # type: ignore[union-attr]
        node = node.referred_from
    return []


def _origin(esc: Escalation, area: AreaSettings) -> tuple[Point | None, str]:
    """Where distances are measured from: the GPS point given, the facility referred to or from, the village."""
    if esc.location is not None:
        return esc.location, "gps"
    if esc.referred_to_facility_id is not None:
        return esc.referred_to_facility.location, "facility"  # type: ignore[union-attr]
    if esc.referred_from is not None and esc.referred_from.facility_id is not None:
        return esc.referred_from.facility.location, "facility"  # type: ignore[union-attr]
    return area.point, "village"


def _coordinators(area: AreaSettings) -> list[User]:
    ids = RoleAssignment.objects.filter(
        role=Role.COORDINATOR, active=True, region_id__in=ancestor_codes(area.village_code)
    ).values("user_id")
    return list(User.objects.filter(id__in=ids, is_active=True))


# --- Routing and offers ------------------------------------------------------------------------------------


def _to_coordinator(esc: Escalation, *, area: AreaSettings, now: datetime, reason: str) -> None:
    esc.status = S.WITH_COORDINATOR
    esc.to_coordinator_at = now
    esc.routing = {**esc.routing, "result": "with_coordinator", "coordinator_reason": reason}
    _save(esc, now, "status", "to_coordinator_at", "routing")
    for coordinator in _coordinators(area):
        _notify(
            recipient=coordinator,
            kind="escalation_to_coordinator",
            event_key=f"escalation:{esc.id}:to_coordinator:{esc.attempts}",
            params={"client_code": esc.client.code},
            data=_ids(esc),
            priority="high",
        )
    _record(esc)


def _offer_make(
    esc: Escalation, *, staff_id: Any, facility_id: Any, distance_km: float, area: AreaSettings, now: datetime
) -> Offer:
    hours = area.sla_hours(esc.urgency)
    offer = Offer.objects.create(
        escalation=esc,
        staff_id=staff_id,
        facility_id=facility_id,
        distance_km=round(distance_km, 3),
        offered_at=now,
        expires_at=sla.offer_expires_at(offered_at=now, hours=hours),
    )
    esc.status = S.OFFERED
    _save(esc, now, "status", "routing")
    _notify(
        recipient=offer.staff,
        kind="escalation_offered",
        event_key=f"offer:{offer.id}",
        params={"client_code": esc.client.code, "deadline": offer.expires_at, "tz": area.timezone},
        data=_ids(esc, offer_id=offer.id),
        priority="high",
        ttl_seconds=sla.seconds_left(now=now, expires_at=offer.expires_at),
    )
    _record(esc, staff_id=staff_id)
    return offer


def _offer_next(esc: Escalation, *, now: datetime) -> None:
    """Route again (skipping everyone who declined or let an offer expire) and offer, or go to the coordinator.

    1. Too many declines/expiries: the coordinator.  2. No point to measure from: the coordinator.
    3. The nearest eligible person gets an offer; nobody within the radius: the coordinator.
    """
    area = area_settings(village_code=esc.client.village_id)
    if esc.attempts >= settings.ROUTING_DEFAULT_MAX_ATTEMPTS:
        return _to_coordinator(esc, area=area, now=now, reason="max_attempts")
    origin, origin_source = _origin(esc, area)
    day = sla.local_date(instant=now, tz=area.timezone)
    esc.routing = {
        "attempt": esc.attempts + 1,
        "decided_at": now.isoformat(),
        "day": day.isoformat(),
        "time_zone": area.timezone,
        "need": esc.need,
        "radius_km": area.max_radius_km,
        "origin": {"lat": origin.y, "lon": origin.x, "source": origin_source} if origin else None,
        "considered": [],
        "chosen": None,
        "passed_over": [],
    }
    if origin is None:
        return _to_coordinator(esc, area=area, now=now, reason="no_origin")
    declined = {
        str(s)
        for s in esc.offers.filter(status__in=[OfferStatus.DECLINED, OfferStatus.EXPIRED]).values_list(
            "staff_id", flat=True
        )
    }
    decision = routing.route(
        origin=origin,
        need=esc.need,
        day=day,
        radius_km=area.max_radius_km,
        declined=declined,
        only_facility_id=esc.referred_to_facility_id,
    )
    esc.routing.update(decision.as_json())
    if decision.chosen is None:
        return _to_coordinator(esc, area=area, now=now, reason="no_candidate_in_radius")
    esc.routing["result"] = "offered"
    chosen = decision.chosen
    _offer_make(
        esc,
        staff_id=uuid.UUID(chosen.user_id),
        facility_id=uuid.UUID(chosen.facility_id),
        distance_km=chosen.distance_km,
        area=area,
        now=now,
    )


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

    Raises 409 `consent_required` without referral consent in force, and 409 `escalation_open` (with the open
    escalation's id in `existing`) when the client already has an open escalation of this need. The caller
    (a screening, say) may catch those: both are `DomainError`s and nothing was written.
    """
    from backend.recovery.selectors import consent_require

    _validate_new(need=need, urgency=urgency)
    consent_require(client_id=client.id, scope="referral")
    now = timezone.now()
    with transaction.atomic():
        esc = Escalation(
            client=client,
            need=need,
            urgency=urgency,
            reason=reason,
            location=location,
            status=S.OFFERED,
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
        _offer_next(esc, now=now)
        return esc


def _lock(escalation_id: uuid.UUID) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("client", "referred_from", "referred_to_facility", "facility")
        .get(id=escalation_id)
    )


def _answer_offer(*, escalation_id: uuid.UUID, actor: User, accept: bool, reason: str = "") -> Offer:
    """Close the actor's pending offer with one conditional UPDATE: exactly one racing answer wins."""
    _require_in_scope(escalation_id=escalation_id, actor=actor)
    now = timezone.now()
    mine = Offer.objects.filter(escalation_id=escalation_id, staff_id=actor.id)
    if not mine.exists():
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
    offer.refresh_from_db()  # type: ignore[union-attr]
    return offer  # type: ignore[return-value]


def offer_accept(*, escalation_id: uuid.UUID, actor: User) -> Escalation:
    """The offered staff member takes the case: assigned, client escalated, the field workers told."""
    from backend.recovery.lifecycle import can_transition
    from backend.recovery.transitions import client_transition

    with transaction.atomic():
        offer = _answer_offer(escalation_id=escalation_id, actor=actor, accept=True)
        now = offer.answered_at or timezone.now()
        esc = _lock(escalation_id)
        esc.status, esc.assigned_to, esc.facility_id, esc.accepted_at = (
            S.ACCEPTED,
            actor,
            offer.facility_id,
            now,
        )
        _save(esc, now, "status", "assigned_to", "facility", "accepted_at")
        if can_transition(esc.client.status, "escalated"):
            client_transition(
                client_id=esc.client_id, to_status="escalated", actor=actor, reason=f"escalation:{esc.id}"
            )
        recipients = {u.id: u for u in field_workers(esc)}
        if esc.created_by_id and esc.created_by_id != actor.id:
            recipients.setdefault(esc.created_by_id, esc.created_by)  # type: ignore[arg-type]
        for user in recipients.values():
            _notify(
                recipient=user,
                kind="escalation_accepted",
                event_key=f"escalation:{esc.id}:accepted",
                params={"client_code": esc.client.code},
                data=_ids(esc),
            )
        _record(esc)
        return esc


def offer_decline(*, escalation_id: uuid.UUID, actor: User, reason: str) -> Escalation:
    """The offered staff member declines (reason required): the next candidate is offered the case."""
    if not reason.strip():
        raise ValidationFailed(details=[ErrorDetail("reason", "required", _("Wajib diisi."))])
    with transaction.atomic():
        offer = _answer_offer(escalation_id=escalation_id, actor=actor, accept=False, reason=reason.strip())
        esc = _lock(escalation_id)
        esc.attempts += 1
        _save(esc, offer.answered_at, "attempts")  # type: ignore[arg-type]
        _offer_next(esc, now=offer.answered_at)  # type: ignore[arg-type]
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
            esc = _lock(offer.escalation_id)
            esc.attempts += 1
            _save(esc, now, "attempts")
            _notify(
                recipient=offer.staff,
                kind="escalation_offer_expired",
                event_key=f"offer:{offer.id}:expired",
                params={"client_code": esc.client.code},
                data=_ids(esc, offer_id=offer.id),
            )
            _offer_next(esc, now=now)
            done += 1
    return done


# --- Acting on a case --------------------------------------------------------------------------------------


def _require_in_scope(*, escalation_id: uuid.UUID, actor: User) -> None:
    from backend.escalations.selectors import escalation_qs_for

    if not escalation_qs_for(user=actor).filter(id=escalation_id).exists():
        raise NotFound(_("Eskalasi tidak ditemukan."), code="escalation_not_found")


def can_escalate(*, user: User, client: Client) -> bool:
    """Volunteers and village officials escalate (for clients they may write, checked by the caller)."""
    scope = scope_for(user)
    return scope.is_system_admin or scope.is_field_worker


def _for_action(*, escalation_id: uuid.UUID, actor: User, statuses: tuple[str, ...]) -> Escalation:
    """Lock the case for the assigned staff member (or their facility's admin). Out of scope: 404; in scope
    but someone else's case: 403; a step that does not fit the case's status: 409."""
    _require_in_scope(escalation_id=escalation_id, actor=actor)
    esc = _lock(escalation_id)
    scope = scope_for(actor)
    if esc.assigned_to_id != actor.id and esc.facility_id not in scope.admin_facility_ids:
        raise PermissionDenied(
            _("Hanya petugas yang menangani kasus ini yang dapat melakukannya."), code="not_assigned_to_you"
        )
    if esc.status not in statuses:
        raise Conflict(
            _("Langkah ini tidak sesuai dengan status eskalasi."),
            code="invalid_escalation_status",
            extra={"current_status": esc.status},
        )
    return esc


def escalation_schedule(*, escalation_id: uuid.UUID, actor: User, appointment_at: datetime) -> Escalation:
    """Set (or move) the appointment; the field workers get an `accompany` task due that day (area's date)."""
    from backend.escalations.task_rules import task_ensure

    now = timezone.now()
    if appointment_at <= now:
        raise ValidationFailed(
            details=[
                ErrorDetail("appointment_at", "not_in_future", _("Waktu janji temu harus di masa depan."))
            ]
        )
    with transaction.atomic():
        esc = _for_action(escalation_id=escalation_id, actor=actor, statuses=(S.ACCEPTED, S.SCHEDULED))
        area = area_settings(village_code=esc.client.village_id)
        esc.status, esc.appointment_at, esc.scheduled_at = S.SCHEDULED, appointment_at, now
        _save(esc, now, "status", "appointment_at", "scheduled_at")
        due = sla.due_on(instant=appointment_at, tz=area.timezone)
        for user in field_workers(esc):
            task_ensure(
                kind=TaskKind.ACCOMPANY,
                esc=esc,
                assignee=user,
                due_on=due,
                rule_key=f"accompany:{esc.id}:{user.id}",
                reopen=True,
            )
            _notify(
                recipient=user,
                kind="escalation_scheduled",
                event_key=f"escalation:{esc.id}:scheduled:{appointment_at.isoformat()}",
                params={
                    "client_code": esc.client.code,
                    "appointment_at": appointment_at,
                    "tz": area.timezone,
                },
                data=_ids(esc),
            )
        _record(esc)
        return esc


def escalation_outcome_record(
    *,
    escalation_id: uuid.UUID,
    actor: User,
    outcome: str,
    notes: str = "",
    refer_need: str | None = None,
    refer_to_facility_id: uuid.UUID | None = None,
) -> Escalation:
    """Record the assessment outcome: the client moves on, the field workers get a `follow_up` task, and a
    referral (a need, and optionally a named facility) starts a new escalation routed from the facility."""
    from backend.escalations.task_rules import task_ensure
    from backend.recovery.lifecycle import can_transition
    from backend.recovery.transitions import client_transition

    if outcome not in OUTCOMES:
        raise ValidationFailed(details=[ErrorDetail("outcome", "invalid_choice", _("Pilihan tidak valid."))])
    refer_to = None
    if refer_to_facility_id is not None:
        refer_to = Facility.objects.filter(id=refer_to_facility_id, active=True).first()
        if refer_to is None:
            raise ValidationFailed(
                details=[ErrorDetail("refer_to_facility_id", "not_found", _("Fasilitas tidak ditemukan."))]
            )
    now = timezone.now()
    with transaction.atomic():
        esc = _for_action(escalation_id=escalation_id, actor=actor, statuses=(S.ACCEPTED, S.SCHEDULED))
        area = area_settings(village_code=esc.client.village_id)
        referring = refer_need is not None or refer_to is not None
        esc.outcome, esc.outcome_notes, esc.outcome_at = outcome, notes, now
        esc.status = S.REFERRED if referring else S.OUTCOME_RECORDED
        _save(esc, now, "outcome", "outcome_notes", "outcome_at", "status")
        target = OUTCOME_CLIENT_STATUS[outcome]
        if can_transition(esc.client.status, target):
            client_transition(
                client_id=esc.client_id, to_status=target, actor=actor, reason=f"escalation:{esc.id}"
            )
        due = sla.due_on(instant=now, tz=area.timezone, days_after=FOLLOW_UP_DAYS)
        for user in field_workers(esc):
            task_ensure(
                kind=TaskKind.FOLLOW_UP,
                esc=esc,
                assignee=user,
                due_on=due,
                rule_key=f"follow_up:{esc.id}:{user.id}",
            )
            _notify(
                recipient=user,
                kind="escalation_outcome",
                event_key=f"escalation:{esc.id}:outcome",
                params={"client_code": esc.client.code},
                data=_ids(esc),
            )
        _record(esc)
        if referring:
            escalation_create(
                actor=actor,
                client=esc.client,
                need=refer_need or esc.need,
                urgency=esc.urgency,
                reason=notes or esc.reason,
                source="referral",
                referred_from=esc,
                referred_to_facility=refer_to,
            )
        return esc


def escalation_close(*, escalation_id: uuid.UUID, actor: User) -> Escalation:
    """Close the case. Open accompany/missed-appointment tasks of it are cancelled; follow-ups stay."""
    from backend.escalations.task_rules import tasks_cancel_for

    now = timezone.now()
    with transaction.atomic():
        esc = _for_action(
            escalation_id=escalation_id,
            actor=actor,
            statuses=(S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED, S.REFERRED),
        )
        esc.status, esc.closed_at = S.CLOSED, now
        _save(esc, now, "status", "closed_at")
        tasks_cancel_for(esc=esc, kinds=(TaskKind.ACCOMPANY, TaskKind.MISSED_APPOINTMENT))
        _record(esc)
        return esc


def escalation_assign(*, escalation_id: uuid.UUID, actor: User, staff_id: uuid.UUID) -> Escalation:
    """A coordinator of the client's area offers the case by hand to a certified staff member of their choice
    (any distance, any caseload): any pending offer is withdrawn and the chosen person must still accept."""
    now = timezone.now()
    with transaction.atomic():
        _require_in_scope(escalation_id=escalation_id, actor=actor)
        esc = _lock(escalation_id)
        scope = scope_for(actor)
        if not (scope.is_system_admin or (scope.area_codes and scope.covers_region(esc.client.village_id))):
            raise PermissionDenied(
                _("Hanya koordinator wilayah ini yang dapat menugaskan."), code="not_coordinator"
            )
        if esc.status not in (S.OFFERED, S.WITH_COORDINATOR):
            raise Conflict(
                _("Eskalasi ini sudah ditangani."),
                code="invalid_escalation_status",
                extra={"current_status": esc.status},
            )
        area = area_settings(village_code=esc.client.village_id)
        origin, _src = _origin(esc, area)
        day = sla.local_date(instant=now, tz=area.timezone)
        post = _eligible_post(
            staff_id=staff_id, need=esc.need, day=day, origin=origin or Point(0, 0, srid=4326)
        )
        esc.offers.filter(status=OfferStatus.PENDING).update(status=OfferStatus.WITHDRAWN, answered_at=now)
        esc.routing = {
            **esc.routing,
            "result": "assigned_by_coordinator",
            "assigned_by": {"user_id": str(actor.id), "name": actor.name, "at": now.isoformat()},
        }
        _offer_make(
            esc,
            staff_id=staff_id,
            facility_id=post.id,
            distance_km=post.distance.km,
            area=area,
            now=now,  # type: ignore[attr-defined]
        )
        return esc


def _eligible_post(*, staff_id: uuid.UUID, need: str, day: Any, origin: Point) -> Facility:
    """The staff member's nearest facility if they are certified for `need` today, else 422 on staff_id."""
    from django.contrib.gis.db.models.functions import Distance

    ids = RoleAssignment.objects.filter(
        routing.eligible_staff_q(need=need, day=day), user_id=staff_id
    ).values("facility_id")
    post = (
        Facility.objects.filter(id__in=ids, active=True)
        .annotate(distance=Distance("location", origin))
        .order_by("distance")
        .first()
    )
    if post is None:
        raise ValidationFailed(
            details=[
                ErrorDetail(
                    "staff_id",
                    "staff_not_eligible",
                    _("Petugas tidak memiliki sertifikat yang berlaku atau sedang cuti."),
                )
            ]
        )
    return post


def appointments_missed_sweep(*, now: datetime | None = None) -> int:
    """Beat sweep: an appointment passed more than MISSED_APPOINTMENT_GRACE_HOURS ago with no outcome gives
    the field workers a `missed_appointment` task due today (area's date). Idempotent per appointment."""
    from backend.escalations.task_rules import task_ensure

    now = now or timezone.now()
    grace = getattr(settings, "MISSED_APPOINTMENT_GRACE_HOURS", 24)
    created = 0
    cutoff = now - timedelta(hours=grace)
    late = Escalation.objects.filter(status=S.SCHEDULED, appointment_at__lt=cutoff).select_related("client")
    for esc in late.iterator(chunk_size=200):
        with transaction.atomic():
            area = area_settings(village_code=esc.client.village_id)
            stamp = esc.appointment_at.strftime("%Y%m%d%H%M")  # type: ignore[union-attr]
            for user in field_workers(esc):
                _task, new = task_ensure(
                    kind=TaskKind.MISSED_APPOINTMENT,
                    esc=esc,
                    assignee=user,
                    due_on=sla.local_date(instant=now, tz=area.timezone),
                    rule_key=f"missed:{esc.id}:{user.id}:{stamp}",
                )
                created += int(new)
    return created
