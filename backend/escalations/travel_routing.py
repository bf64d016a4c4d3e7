"""Who gets an escalation where a travel network is loaded: own catchment first, then least travel time.

The rule (each step in the routing explanation; the facts and reasons are routing.py's):
1. Eligibility as in routing.py, plus the service level (`routing.IPWL_NEEDS` only at a designated IPWL or a BNN
   clinic) and the facility's capacity (its cases in treatment against `outpatient_capacity_per_month +
   inpatient_beds`).
2. Tier "catchment": the eligible person at the puskesmas whose working area (`Facility.working_area`) holds the
   client's kecamatan or village, else at the regency's BNN clinic or IPWL, reachable within the area's
   maximum travel time.
3. Tier "travel_time": otherwise the eligible person with the least travel time from the client's village over
   roads, ferries and rivers; equal whole minutes to the smaller caseload relative to the cap. The offer says
   why the catchment was left: "geography" (no catchment facility within the maximum), "capacity" (its people
   or the facility are full), "availability" (on leave, declined, uncertified, not IPWL).
4. Nobody within the maximum: the coordinator, reason "unreachable" (routing_flow).
Where no network covers the village (no `TravelOrigin`, or its centroid is off the network), routing.route's
straight-line rule decides: tier "fallback", and the explanation says which method was used and why.

Speed: the travel times are precomputed (backend/travel); a decision reads the village's row of the table with
the facilities' eligibility in one statement, then the staff facts (routing.staff_facts), as the straight-line
rule does; no graph search runs on the request path.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db.models import Exists, OuterRef

from backend.accounts.models import RoleAssignment
from backend.escalations import routing
from backend.escalations.routing import Decision, StaffFacts
from backend.travel.models import TravelTime
from villages.models import Facility, FacilityType

TRAVEL_BATCH = 24  # facilities (fewest minutes first) read per round


def catchment_of(facility: Facility, *, village_code: str, day: date) -> int:
    """0: the facility's working area holds the village (or its kecamatan); 1: a BNN clinic or designated IPWL
    of the client's regency; 2: outside the client's catchment."""
    parts = village_code.split(".")
    if village_code in facility.working_area or ".".join(parts[:3]) in facility.working_area:
        return 0
    regency = ".".join(parts[:2]) + "."
    regional = facility.type == FacilityType.KLINIK_BNN or facility.is_ipwl_on(day)
    return 1 if regional and facility.village_id.startswith(regency) else 2


def choose_tiered(rows: list[StaffFacts], *, need: str) -> tuple[StaffFacts | None, str | None, str | None]:
    """(chosen, tier, reason for leaving the catchment) over facts carrying minutes and catchment."""
    ranked = routing.nearest_post_per_person(rows)
    inside = [r for r in ranked if r.catchment < 2]
    eligible_inside = [r for r in inside if routing.passed_over_reason(r, need=need) is None]
    if eligible_inside:
        return min(eligible_inside, key=lambda r: (r.catchment, routing.rank_key(r))), "catchment", None
    chosen = routing.choose(ranked, need=need)
    if chosen is None:
        return None, None, None
    if not inside:
        return chosen, "travel_time", "geography"
    full = {"caseload_full", "facility_full"}
    if all(routing.passed_over_reason(r, need=need) in full for r in inside):
        return chosen, "travel_time", "capacity"
    return chosen, "travel_time", "availability"


def facilities_by_travel_time(
    *,
    village_code: str,
    origin: Point,
    max_minutes: int,
    limit: int,
    offset: int = 0,
    only_facility_id: uuid.UUID | None = None,
) -> list[Facility]:
    """Active facilities with counselor/assessor posts reachable from the village within `max_minutes`, fewest
    minutes first, each with `minutes`, `legs` and the straight-line `distance` from `origin` (one query)."""
    posted = RoleAssignment.objects.filter(
        role__in=routing.STAFF_ROLES, active=True, facility_id=OuterRef("facility_id")
    )
    qs = TravelTime.objects.filter(
        Exists(posted), village_id=village_code, minutes__lte=max_minutes, facility__active=True
    )
    if only_facility_id is not None:
        qs = qs.filter(facility_id=only_facility_id)
    rows = (
        qs.select_related("facility")
        .only("minutes", "legs", *(f"facility__{f}" for f in routing.FACILITY_FIELDS))
        .annotate(distance=Distance("facility__location", origin))
        .order_by("minutes", "facility_id")[offset : offset + limit]
    )
    out = []
    for row in rows:
        facility = row.facility
        facility.minutes = row.minutes  # type: ignore[attr-defined]
        facility.legs = [(leg["mode"], leg["minutes"]) for leg in row.legs]  # type: ignore[attr-defined]
        facility.distance = row.distance  # type: ignore[attr-defined]
        out.append(facility)
    return out


def route(
    *,
    village_code: str,
    network: str,
    origin: Point,
    need: str,
    day: date,
    radius_km: float,
    max_travel_minutes: int,
    declined: set[str],
    only_facility_id: uuid.UUID | None = None,
    full: frozenset[str] = frozenset(),
) -> Decision:
    """By travel time where the client's village is on a loaded network (`network`, from areas.AreaSettings:
    "covered"), else by straight line (and the explanation says why: "no_network", "off_network")."""
    if network != "covered":
        decision = routing.route(
            origin=origin,
            need=need,
            day=day,
            radius_km=radius_km,
            declined=declined,
            only_facility_id=only_facility_id,
            full=full,
        )
        decision.method_note = network
        return decision
    common: dict[str, Any] = {"day": day, "declined": declined, "radius_km": None, "full": full, "need": need}
    rows: list[StaffFacts] = []
    offset = 0
    while True:
        batch = facilities_by_travel_time(
            village_code=village_code,
            origin=origin,
            max_minutes=max_travel_minutes,
            limit=TRAVEL_BATCH,
            offset=offset,
            only_facility_id=only_facility_id,
        )
        catchment = {f.id: catchment_of(f, village_code=village_code, day=day) for f in batch}
        rows += routing.staff_facts(facilities=batch, catchment=catchment, **common)
        chosen, tier, leave = choose_tiered(rows, need=need)
        if chosen is not None or len(batch) < TRAVEL_BATCH:
            break
        offset += TRAVEL_BATCH
    ranked = routing.nearest_post_per_person(rows)
    considered = ranked[: routing.EXPLAIN_LIMIT]
    if chosen is not None and all(f.user_id != chosen.user_id for f in considered):
        considered.append(chosen)
    return Decision(
        chosen=chosen,
        considered=considered,
        need=need,
        method="travel_time",
        tier=tier,
        leave_reason=leave,
        max_travel_minutes=max_travel_minutes,
    )
