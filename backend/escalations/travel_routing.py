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
every post's facts (person, certificates, caseload, the facility's cases in treatment) in one SQL statement per
round of TRAVEL_BATCH facilities (one round unless everyone there is ineligible); no graph search runs on the
request path.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

from django.contrib.gis.geos import Point
from django.db import connection

from backend.escalations import routing
from backend.escalations.caseloads import caseload_sql
from backend.escalations.models import TAKEN_STATUSES
from backend.escalations.routing import Decision, StaffFacts
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


# One statement per round: the village's row of the travel-time table (fewest minutes first, facilities with
# counselor/assessor posts, within the maximum), and for every post there the person, their certificate kinds
# (held, and valid on the day), their open caseload (caseloads.py) and the facility's cases in treatment: the
# facts of routing.staff_facts' statement, read from the travel-time table instead of the KNN.
_FACTS_SQL = """
WITH fac AS (
    SELECT t.facility_id, t.minutes, t.legs, f.name, f.type, f.is_ipwl, f.ipwl_valid_from, f.ipwl_valid_until,
           f.inpatient_beds, f.outpatient_capacity_per_month, f.working_area, f.village_id,
           ST_Distance(f.location, ST_GeogFromText(%(origin)s), true) AS meters
    FROM travel_traveltime t
    JOIN villages_facility f ON f.id = t.facility_id
    WHERE t.village_id = %(village)s AND t.minutes <= %(max_minutes)s AND f.active
      AND (%(only)s::uuid IS NULL OR t.facility_id = %(only)s::uuid)
      AND EXISTS (SELECT 1 FROM accounts_roleassignment r
                  WHERE r.facility_id = t.facility_id AND r.role IN ('counselor', 'assessor') AND r.active)
    ORDER BY t.minutes, t.facility_id
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT fac.facility_id, fac.minutes, fac.legs, fac.name, fac.type, fac.is_ipwl, fac.ipwl_valid_from,
       fac.ipwl_valid_until, fac.inpatient_beds, fac.outpatient_capacity_per_month, fac.working_area,
       fac.village_id, fac.meters,
       r.user_id, u.name, u.is_active, u.caseload_cap, u.on_leave_from, u.on_leave_until,
       ARRAY(SELECT DISTINCT c.kind FROM accounts_certification c WHERE c.user_id = r.user_id) AS held,
       ARRAY(SELECT DISTINCT c.kind FROM accounts_certification c
             WHERE c.user_id = r.user_id AND NOT c.revoked AND c.issued_on <= %(day)s
               AND c.expires_on >= %(day)s) AS valid,
       {caseload} AS caseload,
       CASE WHEN fac.inpatient_beds + fac.outpatient_capacity_per_month > 0
            THEN (SELECT count(*) FROM escalations_escalation e
                  WHERE e.facility_id = fac.facility_id AND e.status = ANY(%(taken)s))
            ELSE 0 END AS in_treatment
FROM fac
JOIN accounts_roleassignment r
  ON r.facility_id = fac.facility_id AND r.role IN ('counselor', 'assessor') AND r.active
JOIN accounts_user u ON u.id = r.user_id
ORDER BY fac.minutes, fac.facility_id, r.user_id
""".replace("{caseload}", caseload_sql("r.user_id"))


def travel_facts(
    *,
    village_code: str,
    origin: Point,
    need: str,
    day: date,
    max_minutes: int,
    declined: set[str],
    full: frozenset[str],
    limit: int,
    offset: int = 0,
    only_facility_id: uuid.UUID | None = None,
) -> tuple[list[StaffFacts], int]:
    """The facts of every post at the `limit` fastest facilities from `offset` on, and how many facilities came."""
    params = {
        "village": village_code,
        "origin": f"SRID=4326;POINT({origin.x} {origin.y})",
        "max_minutes": max_minutes,
        "only": str(only_facility_id) if only_facility_id else None,
        "limit": limit,
        "offset": offset,
        "day": day,
        "taken": [str(s) for s in TAKEN_STATUSES],
    }
    with connection.cursor() as cursor:
        cursor.execute(_FACTS_SQL, params)
        rows = cursor.fetchall()
    facts, facilities = [], set()
    for (fid, minutes, legs, fname, ftype, is_ipwl, ipwl_from, ipwl_until, beds, outpatient, area, fvillage,
         meters, user_id, name, active, cap, leave_from, leave_until, held, valid, load, treating) in rows:  # fmt: skip
        facilities.add(fid)
        facility = Facility(
            id=fid, name=fname, type=ftype, is_ipwl=is_ipwl, ipwl_valid_from=ipwl_from,
            ipwl_valid_until=ipwl_until, working_area=area, village_id=fvillage,
        )  # fmt: skip
        capacity = beds + outpatient
        uid = str(user_id)
        facts.append(
            StaffFacts(
                user_id=uid,
                name=name,
                facility_id=str(fid),
                facility=fname,
                distance_km=meters / 1000.0,
                active=active,
                valid_kinds=frozenset(valid),
                held_kinds=frozenset(held),
                on_leave=leave_from is not None
                and leave_from <= day
                and (leave_until is None or day <= leave_until),
                caseload=max(load, cap if uid in full else 0),
                cap=cap,
                declined=uid in declined,
                service_ok=routing.offers_service(facility, need=need, day=day),
                facility_full=capacity > 0 and treating >= capacity,
                minutes=minutes,
                # Django's psycopg set-up hands jsonb over as text (its JSONField decodes it).
                legs=tuple((leg["mode"], leg["minutes"]) for leg in json.loads(legs)),
                catchment=catchment_of(facility, village_code=village_code, day=day),
            )
        )
    return facts, len(facilities)


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
    rows: list[StaffFacts] = []
    offset = 0
    while True:
        batch, facilities = travel_facts(
            village_code=village_code,
            origin=origin,
            need=need,
            day=day,
            max_minutes=max_travel_minutes,
            declined=declined,
            full=full,
            limit=TRAVEL_BATCH,
            offset=offset,
            only_facility_id=only_facility_id,
        )
        rows += batch
        chosen, tier, leave = choose_tiered(rows, need=need)
        if chosen is not None or facilities < TRAVEL_BATCH:
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
