"""Routing a case and offering it: the next nearest eligible person gets an offer, or the coordinator gets the
case. The decision, with its explanation, is stored on the escalation (earlier ones in `routing.history`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction

from backend.accounts.models import User
from backend.escalations import routing, sla, travel_routing
from backend.escalations.areas import AreaSettings, area_settings
from backend.escalations.caseloads import caseload_of, staff_lock
from backend.escalations.models import Escalation, EscalationStatus, Offer, OfferStatus, Urgency
from backend.escalations.services.support import (
    coordinators_of,
    escalation_ids,
    escalation_log_change,
    escalation_save,
    system_admins,
)
from notifications.services import notify
from villages.models import Facility

ROUTING_HISTORY_MAX = 20  # earlier routing decisions kept on the escalation (a case rarely passes 5)


def routing_push(esc: Escalation, decision: dict[str, Any]) -> None:
    """Make `decision` the current routing, keeping the earlier ones (oldest first) in `history`."""
    previous = dict(esc.routing or {})
    history = list(previous.pop("history", []))
    if previous:
        history.append(previous)
    esc.routing = {**decision, "history": history[-ROUTING_HISTORY_MAX:]}


def routing_origin(esc: Escalation, area: AreaSettings) -> tuple[Point | None, str]:
    """Where distances are measured from: the GPS point given, the facility referred to or from, the village."""
    if esc.location is not None:
        return esc.location, "gps"
    if esc.referred_to_facility_id is not None:
        return esc.referred_to_facility.location, "facility"  # type: ignore[union-attr]
    if esc.referred_from is not None and esc.referred_from.facility_id is not None:
        return esc.referred_from.facility.location, "facility"  # type: ignore[union-attr]
    return area.point, "village"


def to_coordinator(esc: Escalation, *, area: AreaSettings, now: datetime, reason: str) -> None:
    """Hand the case to the area's coordinators; with none at any level above the village, the system admins
    (someone must see it). Who was told is recorded in the routing."""
    esc.status = EscalationStatus.WITH_COORDINATOR
    esc.to_coordinator_at = now
    recipients = coordinators_of(area)
    notified = "coordinators"
    if not recipients:
        recipients, notified = system_admins(), "system_admins"
    esc.routing = {
        **esc.routing,
        "result": "with_coordinator",
        "coordinator_reason": reason,
        "notified": notified,
        "notified_user_ids": [str(u.id) for u in recipients],
    }
    escalation_save(esc, now, "status", "to_coordinator_at", "routing")
    for recipient in recipients:
        notify(
            recipient=recipient,
            kind="escalation_to_coordinator",
            event_key=f"escalation:{esc.id}:to_coordinator:{esc.attempts}",
            params={"client_code": esc.client.code},
            data=escalation_ids(esc),
            priority="high",
        )
    escalation_log_change(esc)


def offer_make(
    esc: Escalation,
    *,
    staff: User,
    facility_id: Any,
    distance_km: float | None,
    area: AreaSettings,
    now: datetime,
    how: routing.Decision | None = None,
) -> Offer:
    """Offer the case to one staff member; `how`: the routing decision (tier, minutes, legs) it came from."""
    hours = area.sla_hours(esc.urgency)
    chosen = how.chosen if how is not None else None
    offer = Offer.objects.create(
        escalation=esc,
        staff=staff,
        facility_id=facility_id,
        distance_km=round(distance_km, 3) if distance_km is not None else None,
        offered_at=now,
        expires_at=sla.offer_expires_at(offered_at=now, hours=hours),
        tier=(how.tier or "") if how is not None else "",
        travel_minutes=round(chosen.minutes, 1)
        if chosen is not None and chosen.minutes is not None
        else None,
        legs=[{"mode": m, "minutes": mins} for m, mins in chosen.legs] if chosen is not None else [],
        leave_reason=(how.leave_reason or "") if how is not None else "",
    )
    if chosen is not None and chosen.facility_id == str(facility_id):
        # The facility's name is known from the routing: the offer carries it (its other fields deferred), so
        # the response shows the offer without reading the facility again.
        offer.facility = Facility.from_db("default", ["id", "name"], [facility_id, chosen.facility])
    esc.status = EscalationStatus.OFFERED
    escalation_save(esc, now, "status", "routing")
    notify(
        recipient=offer.staff,
        kind="escalation_offered",
        event_key=f"offer:{offer.id}",
        params={"client_code": esc.client.code, "deadline": offer.expires_at, "tz": area.timezone},
        data=escalation_ids(esc, offer_id=offer.id),
        # An urgent case's offer wakes the phone, and goes to WhatsApp/SMS when left unopened; a routine one not.
        priority="high" if esc.urgency == Urgency.URGENT else "normal",
        ttl_seconds=sla.seconds_left(now=now, expires_at=offer.expires_at),
    )
    escalation_log_change(esc, staff_id=staff.id)
    return offer


class _NoRoom(Exception):
    pass


def has_room(user_id: uuid.UUID) -> bool:
    """`staff_lock_with_room` as a yes or no."""
    return staff_lock_with_room(user_id) is not None


def staff_lock_with_room(user_id: uuid.UUID) -> User | None:
    """Lock the staff member's row, then count their open caseload again: concurrent creations choosing the same
    person queue here, and each sees the offers committed before it (READ COMMITTED reads afresh per statement).
    With room, the lock is held to the end of the transaction, so the offer made next is counted by whoever
    waits. Full: the savepoint is rolled back, which releases the lock at once (two creations each finding
    their first choice full and trying the other's must not hold one person while waiting for the next).
    Returns the locked user (the offer's recipient: the row is read whole here rather than again), or None."""
    try:
        with transaction.atomic():
            user = staff_lock(user_id=user_id)
            if user is None or caseload_of(user_id=user_id) >= user.caseload_cap:
                raise _NoRoom
    except _NoRoom:
        return None
    return user


def routing_decision_head(
    esc: Escalation, *, now: datetime, day: Any, area: AreaSettings, origin: Any, origin_source: str | None
) -> dict[str, Any]:
    """The head of one routing decision as stored in `routing` (candidates are filled in by the caller)."""
    return {
        "attempt": esc.attempts + 1,
        "decided_at": now.isoformat(),
        "day": day.isoformat(),
        "time_zone": area.timezone,
        "need": esc.need,
        "radius_km": area.max_radius_km,
        "max_travel_minutes": area.max_travel_minutes,
        "origin": {"lat": origin.y, "lon": origin.x, "source": origin_source} if origin else None,
        "considered": [],
        "chosen": None,
        "passed_over": [],
    }


def offer_next(esc: Escalation, *, now: datetime, new: bool = False) -> Offer | None:
    """Route again (skipping everyone who declined or let an offer expire) and offer, or go to the coordinator.

    1. Too many declines/expiries: the coordinator.  2. No point to measure from: the coordinator.
    3. The nearest eligible person gets an offer; nobody within the radius: the coordinator.
    The previous routing decision moves into `routing.history`. A `new` case (just created) has no offers yet:
    nobody to skip, nothing to read. Returns the offer made, if any.
    """
    area = area_settings(village_code=esc.client.village_id)
    origin, origin_source = routing_origin(esc, area)
    day = sla.local_date(instant=now, tz=area.timezone)
    routing_push(
        esc,
        routing_decision_head(esc, now=now, day=day, area=area, origin=origin, origin_source=origin_source),
    )
    if esc.attempts >= settings.ROUTING_DEFAULT_MAX_ATTEMPTS:
        return to_coordinator(esc, area=area, now=now, reason="max_attempts")  # type: ignore[func-returns-value]
    if origin is None:
        return to_coordinator(esc, area=area, now=now, reason="no_origin")  # type: ignore[func-returns-value]
    declined = (
        set()
        if new
        else {
            str(s)
            for s in esc.offers.filter(status__in=[OfferStatus.DECLINED, OfferStatus.EXPIRED]).values_list(
                "staff_id", flat=True
            )
        }
    )
    full: set[str] = set()
    while True:
        decision = travel_routing.route(
            village_code=esc.client.village_id,
            network=area.network,
            max_travel_minutes=area.max_travel_minutes,
            origin=origin,
            need=esc.need,
            day=day,
            radius_km=area.max_radius_km,
            declined=declined,
            only_facility_id=esc.referred_to_facility_id,
            full=frozenset(full),
        )
        esc.routing.update(decision.as_json())
        if decision.chosen is None:
            unreachable = decision.method == "travel_time"
            reason = "unreachable" if unreachable else "no_candidate_in_radius"
            return to_coordinator(esc, area=area, now=now, reason=reason)  # type: ignore[func-returns-value]
        chosen = decision.chosen
        staff = staff_lock_with_room(uuid.UUID(chosen.user_id))
        if staff is not None:
            break
        full.add(chosen.user_id)  # filled meanwhile by a concurrent creation: the next nearest
    esc.routing["result"] = "offered"
    return offer_make(
        esc,
        staff=staff,
        facility_id=uuid.UUID(chosen.facility_id),
        distance_km=chosen.distance_km,
        area=area,
        now=now,
        how=decision,
    )
