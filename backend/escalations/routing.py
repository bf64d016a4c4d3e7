"""Who gets an escalation: the nearest eligible certified counselor or assessor.

Eligible on day D (a calendar day in the client's time zone) for need N:
- an active account with an active counselor/assessor role assignment at an active facility (the facility's
  location is where the person is);
- a certificate of N's kind (counseling -> counselor, assessment -> assessor), not revoked, valid on D;
- not on leave on D;
- an open caseload (escalations assigned to them not closed/cancelled, plus pending offers) under their cap;
- not one who already declined (or let expire) an offer of this escalation.

Ranked by geodesic distance from the origin (the given GPS point, else the village centroid), nearest first,
ties (colleagues at one facility are equally far) broken by the smaller caseload, then by id for determinism.
Nobody within the area's maximum radius: the case goes to the coordinator.

How the query stays fast (bench/bench_routing.py measures it): the KNN runs over *facilities*, whose location
column has a GiST index, with the staff eligibility (role, account, certificate, leave; everything but the
caseload, which needs a count) as an EXISTS filter evaluated while the index is walked in distance order
(`ORDER BY location <-> origin LIMIT k`). Facilities are far fewer than staff (many staff share one), and a
facility with no eligible person costs one index probe, so many ineligible neighbours only lengthen the walk by
cheap probes; the eligible set is read fresh from the accounts tables every time, so there is no denormalised
table to keep in step with certificates, leave and role changes made in the admin. The exact spheroidal
distance (`Distance`) is computed for the k rows returned only. Caseload is then checked in Python; if every
eligible person at the k nearest facilities is full, the next k are fetched (rare: caps are 15 cases).

The explanation comes from a second, unfiltered KNN over facilities with any staff: the ~20 nearest staff,
each with the reason they were passed over (see `passed_over_reason`).

This is the straight-line rule: the "fallback" tier where no travel network covers the client's village. Where
one does, backend/escalations/travel_routing.py ranks by travel time (own catchment first) with the same facts
and reasons; both apply the service level (treatment and compulsory reporting only at a designated IPWL or a BNN
clinic) and the facility's capacity.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import Exists, OuterRef, Q

from backend.accounts.models import Certification
from backend.common.prepared import fetch_prepared
from backend.escalations import routing_sql
from villages.models import Facility, FacilityType

STAFF_ROLES = ("counselor", "assessor")
NEED_CERTIFICATE = {
    "counseling": "counselor",
    "assessment": "assessor",
    "treatment": "counselor",
    "reporting": "assessor",  # wajib lapor starts with an assessment
}
# Needs served only at a facility designated IPWL on the day, or a BNN clinic (PP 25/2011, Permenkes 4/2020).
IPWL_NEEDS = frozenset({"treatment", "reporting"})
EXPLAIN_LIMIT = 20  # staff shown in the explanation
EXPLAIN_FACILITIES = 12  # nearest facilities with staff read for the explanation
KNN_BATCH = 8  # eligible facilities fetched per round


# --- The pure core: reasons and ranking over plain values ---------------------------------------------------


@dataclass(frozen=True)
class StaffFacts:
    """What the rules need to know about one staff member at one facility (no ORM)."""

    user_id: str
    name: str
    facility_id: str
    facility: str
    distance_km: float
    active: bool
    valid_kinds: frozenset[str]  # certificate kinds valid on the day
    held_kinds: frozenset[str]  # certificate kinds held at all (also expired, revoked, not yet valid)
    on_leave: bool
    caseload: int
    cap: int
    declined: bool
    within_radius: bool = True
    service_ok: bool = True  # the facility offers the service the need requires (IPWL_NEEDS)
    facility_full: bool = False  # the facility's cases in treatment reached its capacity
    minutes: float | None = None  # travel time from the client's village (travel_routing), else None
    legs: tuple[tuple[str, float], ...] = ()  # (mode, minutes) in order
    catchment: int = 2  # 0: the facility's working area holds the village; 1: the regency's BNN/IPWL; 2: no


def passed_over_reason(facts: StaffFacts, *, need: str) -> str | None:
    """Why this person cannot be offered the case, or None when they can. First failing rule wins."""
    kind = NEED_CERTIFICATE[need]
    if not facts.active:
        return "inactive"
    if facts.declined:
        return "already_declined"
    if kind not in facts.held_kinds:
        return "wrong_certificate"
    if kind not in facts.valid_kinds:
        return "certificate_expired"
    if facts.on_leave:
        return "on_leave"
    if facts.caseload >= facts.cap:
        return "caseload_full"
    if not facts.service_ok:
        return "not_ipwl"
    if facts.facility_full:
        return "facility_full"
    if not facts.within_radius:
        return "beyond_radius"
    return None


def rank_key(facts: StaffFacts) -> tuple[float, float, str]:
    """Nearest first; equal distance (to the metre) goes to the smaller caseload; then a stable order. By travel
    time (when known): fewest minutes first, equal whole minutes to the smaller caseload relative to the cap."""
    if facts.minutes is not None:
        return (round(facts.minutes), facts.caseload / max(facts.cap, 1), facts.user_id)
    return (round(facts.distance_km, 3), facts.caseload, facts.user_id)


def nearest_post_per_person(rows: Iterable[StaffFacts]) -> list[StaffFacts]:
    """A person posted at several facilities counts once, at their nearest one; result ranked."""
    best: dict[str, StaffFacts] = {}
    for row in rows:
        if row.user_id not in best or rank_key(row) < rank_key(best[row.user_id]):
            best[row.user_id] = row
    return sorted(best.values(), key=rank_key)


def choose(rows: Iterable[StaffFacts], *, need: str) -> StaffFacts | None:
    """The first eligible person in rank order."""
    return next((r for r in nearest_post_per_person(rows) if passed_over_reason(r, need=need) is None), None)


# --- Queries -----------------------------------------------------------------------------------------------


def eligible_staff_q(*, need: str | None, day: date, prefix: str = "") -> Q:
    """Q over RoleAssignment rows (or `prefix`-ed relations) of people eligible on `day`, caseload aside."""
    p = prefix
    q = Q(**{f"{p}role__in": STAFF_ROLES, f"{p}active": True, f"{p}user__is_active": True})
    q &= ~Q(**{f"{p}user__on_leave_from__lte": day}) | Q(**{f"{p}user__on_leave_until__lt": day})
    if need is not None:
        q &= Q(
            Exists(
                Certification.objects.filter(
                    user_id=OuterRef(f"{p}user_id" if p else "user_id"),
                    kind=NEED_CERTIFICATE[need],
                    revoked=False,
                    issued_on__lte=day,
                    expires_on__gte=day,
                )
            )
        )
    return q


def offers_service(facility: Facility, *, need: str, day: date) -> bool:
    """Whether `facility` offers `need`'s service on `day` (routing_sql.service_sql, in memory)."""
    return need not in IPWL_NEEDS or facility.type == FacilityType.KLINIK_BNN or facility.is_ipwl_on(day)


def facilities_near(
    *,
    origin: Point,
    need: str | None,
    day: date,
    limit: int,
    offset: int = 0,
    only_facility_id: uuid.UUID | None = None,
) -> list[Facility]:
    """Active facilities nearest `origin` (KNN on the GiST index) having staff (eligible ones when `need`), with
    `distance` (spheroidal) set. One prepared statement (routing_sql.knn_sql).

    With `need=None` (the explanation) any active counselor/assessor post counts, whatever the person's leave or
    account state: a facility whose only counselor is on leave must still show them, passed over `on_leave`.

    No radius in the SQL on purpose: `ST_DWithin` makes the planner fetch every facility inside the radius by
    bitmap scan, test each, and sort (25 ms in a city of 500 facilities); without it the index is walked in
    distance order and stops after `limit` hits. The caller cuts at the radius (`distance` is annotated).
    """
    sql = routing_sql.knn_sql(
        kind=NEED_CERTIFICATE[need] if need else None,
        ipwl=need in IPWL_NEEDS,
        day=day,
        limit=limit,
        offset=offset,
        only=only_facility_id is not None,
    )
    found = []
    for row in fetch_prepared(sql, _params(origin, only_facility_id)):
        # The location stays deferred (read on access): a GEOS point per row costs more than the query's Python.
        facility = Facility.from_db("default", routing_sql.KNN_FIELDS, row[:-1])
        facility.distance = D(m=row[-1])  # type: ignore[attr-defined]
        found.append(facility)
    return found


def _params(origin: Point, only_facility_id: uuid.UUID | None) -> dict[str, Any]:
    params: dict[str, Any] = {"origin": f"SRID=4326;POINT({origin.x!r} {origin.y!r})"}
    if only_facility_id is not None:
        params["only"] = str(only_facility_id)
    return params


def staff_facts(
    *,
    origin: Point,
    need: str,
    day: date,
    declined: set[str],
    radius_km: float,
    full: frozenset[str] = frozenset(),
    eligible_only: bool,
    limit: int,
    offset: int = 0,
    only_facility_id: uuid.UUID | None = None,
) -> tuple[list[StaffFacts], int]:
    """Every counselor/assessor posted at the `limit` facilities nearest `origin` from `offset` on (with any post,
    or with a person eligible for `need` when `eligible_only`) with the facts the rules need, in one prepared
    statement (routing_sql.facts_sql); and how many facilities within `radius_km` came."""
    sql = routing_sql.facts_sql(
        kind=NEED_CERTIFICATE[need] if eligible_only else None,
        ipwl=need in IPWL_NEEDS,
        day=day,
        limit=limit,
        offset=offset,
        only=only_facility_id is not None,
    )
    facts, inside = [], set()
    for (fid, fname, meters, service_ok, facility_full, uid, name, active, cap, on_leave, held, valid,
         load) in fetch_prepared(sql, _params(origin, only_facility_id)):  # fmt: skip
        km = meters / 1000.0
        if km <= radius_km:
            inside.add(fid)
        facts.append(
            StaffFacts(
                user_id=uid,
                name=name,
                facility_id=fid,
                facility=fname,
                distance_km=km,
                active=active,
                valid_kinds=frozenset(valid or ()),
                held_kinds=frozenset(held or ()),
                on_leave=on_leave,
                # `full`: found full when their row was locked (a concurrent creation filled the last place).
                caseload=max(load, cap if uid in full else 0),
                cap=cap,
                declined=uid in declined,
                within_radius=km <= radius_km,
                service_ok=service_ok,
                facility_full=facility_full,
            )
        )
    return facts, len(inside)


@dataclass
class Decision:
    chosen: StaffFacts | None
    considered: list[StaffFacts]  # ranked, at most EXPLAIN_LIMIT (+ the chosen one if further away)
    need: str
    # How it was decided: "travel_time" over the loaded network, or "straight_line" (and why: no network, or
    # the village is off it); the tier of the choice and why the case left the client's own catchment.
    method: str = "straight_line"
    method_note: str | None = None
    tier: str | None = "fallback"
    leave_reason: str | None = None
    max_travel_minutes: int | None = None

    def as_json(self) -> dict[str, Any]:
        def row(f: StaffFacts) -> dict[str, Any]:
            out = {
                "user_id": f.user_id,
                "name": f.name,
                "facility_id": f.facility_id,
                "facility": f.facility,
                "distance_km": round(f.distance_km, 2),
                "caseload": f.caseload,
            }
            if f.minutes is not None:
                out["minutes"] = round(f.minutes, 1)
                out["legs"] = [{"mode": m, "minutes": mins} for m, mins in f.legs]
                out["catchment"] = f.catchment < 2
            return out

        passed = []
        for f in self.considered:
            reason = passed_over_reason(f, need=self.need)
            if reason is not None:
                passed.append({**row(f), "reason": reason})
        return {
            "considered": [
                {**row(f), "eligible": passed_over_reason(f, need=self.need) is None} for f in self.considered
            ],
            "chosen": row(self.chosen) if self.chosen else None,
            "passed_over": passed,
            "method": self.method,
            "method_note": self.method_note,
            "tier": self.tier if self.chosen else None,
            "leave_reason": self.leave_reason if self.chosen else None,
            "max_travel_minutes": self.max_travel_minutes,
        }


def route(
    *,
    origin: Point,
    need: str,
    day: date,
    radius_km: float,
    declined: set[str],
    only_facility_id: uuid.UUID | None = None,
    full: frozenset[str] = frozenset(),
) -> Decision:
    """The nearest eligible person within `radius_km` of `origin`, and the explanation of the choice.

    1. Explanation: the staff of the nearest facilities with any staff (any certificate, any state).
    2. Choice: KNN over facilities with eligible staff within the radius, KNN_BATCH at a time, until someone
       with room in their caseload (and not among `declined`) is found or the radius is exhausted.
    """
    common = dict(
        origin=origin, need=need, day=day, declined=declined, radius_km=radius_km, full=full,
        only_facility_id=only_facility_id,
    )  # fmt: skip
    near, _ = staff_facts(**common, eligible_only=False, limit=EXPLAIN_FACILITIES)  # type: ignore[arg-type]
    explained = nearest_post_per_person(near)[:EXPLAIN_LIMIT]
    chosen = choose(explained, need=need)
    offset = 0
    while chosen is None:
        rows, inside = staff_facts(**common, eligible_only=True, limit=KNN_BATCH, offset=offset)  # type: ignore[arg-type]
        chosen = choose((r for r in rows if r.within_radius), need=need)
        if inside < KNN_BATCH:  # the radius (or the table) ends inside this batch
            break
        offset += KNN_BATCH
    considered = list(explained)
    if chosen is not None and all(f.user_id != chosen.user_id for f in considered):
        considered.append(chosen)
    return Decision(chosen=chosen, considered=considered, need=need)
