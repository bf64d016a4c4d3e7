"""What the API and the sync feed show of an escalation: one record per case, built here for both.

`escalation_records` turns a page of cases into records for a user in a constant number of queries; the API's
handlers and the sync feed both call it (`escalation_record` is it on one case). Who sees the course of a case and
the routing explanation is access.case_visible_to / routing_visible_to; someone merely offered the case
(`access: minimal`) gets the fields of `_CASE_FIELDS_EMPTY` empty. Building a record writes nothing: the reads
that show records are access-logged by their endpoint (`escalation_list_items` for GET /escalations).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects

from backend.access.policy import case_visible_known, case_visible_q, case_visible_to, routing_visible_to
from backend.accounts.models import User
from backend.audit.services import access_log_record_many
from backend.escalations.models import Escalation, Offer

# Shown only to those `case_visible_to` admits; the merely offered get them empty.
_CASE_FIELDS_EMPTY: dict[str, Any] = {
    "outcome": "",
    "outcome_notes": "",
    "diagnosis": "",
    "outcome_at": None,
    "assigned_to_id": None,
    "assigned_to_name": None,
    "facility_id": None,
    "facility_name": None,
    "previous_appointments": [],
    "referred_from_id": None,
    "cancel_reason": "",
}

_FIELDS = (
    "id client_id need urgency reason status source created_by_id assigned_to_id facility_id attempts"
    " appointment_at outcome outcome_notes diagnosis referred_from_id referred_to_facility_id created_at"
    " accepted_at scheduled_at outcome_at closed_at to_coordinator_at cancelled_at cancel_reason"
    " previous_appointments version updated_at"
).split()


def offer_for_viewer(*, user: User, esc: Escalation) -> Offer | None:
    """The offer the viewer cares about: staff their own latest one; everyone else the open (or last) one."""
    offers = _offers(esc)
    mine = [o for o in offers if o.staff_id == user.id]
    if mine:
        return mine[-1]
    pending = [o for o in offers if o.status == "pending"]
    return pending[-1] if pending else (offers[-1] if offers else None)


def _offers(esc: Escalation) -> list[Offer]:
    """The case's offers, oldest first: those a creation just made (`offers_made`), else the prefetched ones."""
    made = getattr(esc, "offers_made", None)
    return list(made) if made is not None else list(esc.offers.all())


def _offer_dict(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "staff_id": offer.staff_id,
        "facility_id": offer.facility_id,
        "facility_name": offer.facility.name,
        "distance_km": offer.distance_km,
        "tier": offer.tier,
        "travel_minutes": offer.travel_minutes,
        "legs": offer.legs,
        "leave_reason": offer.leave_reason,
        "status": offer.status,
        "offered_at": offer.offered_at,
        "expires_at": offer.expires_at,
        "answered_at": offer.answered_at,
        "decline_reason": offer.decline_reason,
    }


def _load(*, user: User, escs: list[Escalation]) -> None:
    """What the records read, for every case at once (nothing when the rows came with it): the client, the
    assignee, the facility, the offers (oldest first) and `full_view` (access.case_visible_q)."""
    prefetch_related_objects(escs, "client", "assigned_to", "facility")
    prefetch_related_objects(
        [e for e in escs if getattr(e, "offers_made", None) is None],
        Prefetch("offers", queryset=Offer.objects.select_related("facility").order_by("offered_at", "id")),
    )
    for e in escs:
        e.full_view = case_visible_known(user=user, esc=e)  # type: ignore[attr-defined]
    if missing := [e.id for e in escs if e.full_view is None]:  # type: ignore[attr-defined]
        visible = set(
            Escalation.objects.filter(case_visible_q(user=user), id__in=missing).values_list("id", flat=True)
        )
        for e in escs:
            if e.id in missing:
                e.full_view = e.id in visible  # type: ignore[attr-defined]


def escalation_records(*, user: User, escs: Sequence[Escalation]) -> dict[uuid.UUID, dict[str, Any]]:
    """The cases as `user` may see them, by id (the caller's scope chose the rows): the routing explanation only
    for those who may see it, the course of the case only for those who may read it (`access: full`), else
    empty (`access: minimal`). Carries the client's id and code, never their name: the app reads the client
    through /clients, where the viewer's access level applies. At most five queries, whatever the number."""
    escs = list(escs)
    _load(user=user, escs=escs)
    out = {}
    for esc in escs:
        offer = offer_for_viewer(user=user, esc=esc)
        full = case_visible_to(user=user, esc=esc)
        record = {
            **{f: getattr(esc, f) for f in _FIELDS},
            "access": "full" if full else "minimal",
            "client_code": esc.client.code,
            "village_code": esc.client.village_id,
            "assigned_to_name": esc.assigned_to.name if esc.assigned_to_id else None,  # type: ignore[union-attr]
            "facility_name": esc.facility.name if esc.facility_id else None,  # type: ignore[union-attr]
            "offer": _offer_dict(offer) if offer else None,
            "routing": esc.routing if esc.routing and routing_visible_to(user=user, esc=esc) else None,
        }
        if not full:
            record.update(_CASE_FIELDS_EMPTY)
        out[esc.id] = record
    return out


def escalation_record(*, user: User, esc: Escalation) -> dict[str, Any]:
    """One case's record (`escalation_records` on one row)."""
    return escalation_records(user=user, escs=[esc])[esc.id]


def escalation_record_created(*, user: User, esc: Escalation) -> dict[str, Any]:
    """The record of a case `user` has just created, from the row in hand (the creation's response): its creator
    needs no scope to find it again (access.case_visible_q names the creator), and its offers are the ones the
    creation made (`offers_made`): nothing is read. Not access-logged: the write is its own record."""
    if esc.created_by_id != user.id:
        raise ValueError("escalation_record_created is the creator's record of their own new case")
    return escalation_record(user=user, esc=esc)


def escalation_list_items(*, user: User, escs: list[Escalation], endpoint: str) -> list[dict[str, Any]]:
    """Records of a page of escalations; the read is access-logged, one row per client, in one INSERT."""
    if escs:
        access_log_record_many(user=user, client_ids=[e.client_id for e in escs], endpoint=endpoint)
    records = escalation_records(user=user, escs=escs)
    return [records[e.id] for e in escs]
