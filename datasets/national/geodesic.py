"""The routing answer checked against a brute-force geodesic ranking (bench/bench_national.py, and the suite on the
small set): for each origin, the facility `routing.route()` chose vs the nearest facility on the WGS 84 ellipsoid
(pyproj's `Geod.inv` to every facility, no index, no sphere) holding a person eligible that day with room in
their caseload, found by SQL of its own rather than the routing's queries. pyproj is a dev dependency: nothing the
app loads imports this module (only the bench and the suite do).
"""

from __future__ import annotations

import array
from datetime import date
from typing import Any

from django.db import connection
from pyproj import Geod

from backend.escalations import routing


def geodesic_check(origins: list, *, day: date, radius: float) -> dict[str, Any]:  # type: ignore[type-arg]
    """For each origin, `route()`'s chosen facility vs the nearest facility (WGS 84 geodesic, every facility
    measured) holding a person eligible on `day` with room in their caseload, within `radius` km, the facility
    itself not full (its cases in treatment below `inpatient_beds + outpatient_capacity_per_month`, when set)."""
    geod = Geod(ellps="WGS84")
    by_need: dict[str, tuple[list[str], array.array, array.array]] = {}
    for need, kind in routing.NEED_CERTIFICATE.items():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT f.id::text, ST_X(f.location::geometry), ST_Y(f.location::geometry)
                FROM villages_facility f WHERE f.active AND EXISTS (
                  SELECT 1 FROM accounts_roleassignment ra JOIN accounts_user u ON u.id = ra.user_id
                  WHERE ra.facility_id = f.id AND ra.active AND ra.role IN ('counselor', 'assessor') AND u.is_active
                    AND NOT (u.on_leave_from IS NOT NULL AND u.on_leave_from <= %(day)s
                             AND (u.on_leave_until IS NULL OR u.on_leave_until >= %(day)s))
                    AND EXISTS (SELECT 1 FROM accounts_certification c WHERE c.user_id = u.id AND c.kind = %(kind)s
                                AND NOT c.revoked AND c.issued_on <= %(day)s AND c.expires_on >= %(day)s)
                    AND (SELECT count(*) FROM escalations_escalation e WHERE e.assigned_to_id = u.id
                         AND e.status NOT IN ('closed', 'cancelled'))
                      + (SELECT count(*) FROM escalations_offer o WHERE o.staff_id = u.id AND o.status = 'pending')
                      < u.caseload_cap)
                  AND (f.inpatient_beds + f.outpatient_capacity_per_month = 0
                       OR (SELECT count(*) FROM escalations_escalation e WHERE e.facility_id = f.id
                           AND e.status IN ('accepted', 'scheduled', 'outcome_recorded'))
                          < f.inpatient_beds + f.outpatient_capacity_per_month)
                """,
                {"day": day, "kind": kind},
            )
            found = cursor.fetchall()
        by_need[need] = (
            [f[0] for f in found],
            array.array("d", [f[1] for f in found]),
            array.array("d", [f[2] for f in found]),
        )
    agree = disagree = 0
    max_error = 0.0
    examples: list[dict[str, Any]] = []
    for i, origin in enumerate(origins):
        need = "counseling" if i % 2 == 0 else "assessment"
        ids, lons, lats = by_need[need]
        _az, _back, metres = geod.inv(
            array.array("d", [origin.x]) * len(ids), array.array("d", [origin.y]) * len(ids), lons, lats
        )
        best = min(range(len(ids)), key=metres.__getitem__) if ids else None
        expected = ids[best] if best is not None and metres[best] <= radius * 1000 else None
        decision = routing.route(origin=origin, need=need, day=day, radius_km=radius, declined=set())
        got = decision.chosen.facility_id if decision.chosen else None
        if got is not None and str(got) in ids:
            error = abs(decision.chosen.distance_km * 1000 - metres[ids.index(str(got))])
            max_error = max(max_error, error)
        # Equal distances (to the metre) are a tie either answer may take.
        tie = (
            got is not None
            and expected is not None
            and str(got) in ids
            and abs(metres[ids.index(str(got))] - metres[best]) < 1
        )
        if str(got) == str(expected) or (got is None and expected is None) or tie:
            agree += 1
        else:
            disagree += 1
            if len(examples) < 5:
                examples.append(
                    {
                        "origin": [origin.x, origin.y],
                        "need": need,
                        "route": str(got),
                        "geodesic": expected,
                        "geodesic_m": metres[best] if best is not None else None,
                    }
                )
    return {
        "villages": len(origins),
        "agree": agree,
        "disagree": disagree,
        "max_error_m": max_error,
        "examples": examples,
    }
