"""The SQL text of routing's statements (routing.py runs them prepared: backend/common/prepared.py).

Each text is built once per variant and cached: the day, the certificate kind, whether the need is served only at
an IPWL, LIMIT, OFFSET and the one-facility filter are written into it, so that every variant's generic plan is
the plan of its case (with the day as a parameter PostgreSQL estimates date ranges blind and keeps planning
afresh); only the origin (`%(origin)s`, EWKT) and the facility (`%(only)s`) are parameters.

- `knn_sql`: facilities nearest the origin (`ORDER BY location <-> origin LIMIT k`, walking the GiST index) with
  a counselor/assessor post (kind None: any active post, for the explanation) or with a person eligible on the
  day (kind: role, account, leave, a certificate of the kind valid on the day; the caseload aside, it needs a
  count), offering the need's service; the exact spheroidal distance for the k rows only.
- `facts_sql`: the same facilities, and for every post there the facts the rules read (routing.StaffFacts):
  the person, their certificate kinds (held; valid on the day), on leave, caseload (caseloads.py), whether the
  facility offers the service and is full. One statement, where the ORM took five.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from backend.escalations.caseloads import caseload_sql
from backend.escalations.models import TAKEN_STATUSES
from villages.models import FacilityType

STAFF_ROLES_SQL = "('counselor', 'assessor')"
_TAKEN = ", ".join(f"'{s}'" for s in TAKEN_STATUSES)


def _day(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def on_leave_sql(day: date, user: str = "u") -> str:
    d = _day(day)
    return (
        f"({user}.on_leave_from IS NOT NULL AND {user}.on_leave_from <= {d} "
        f"AND ({user}.on_leave_until IS NULL OR {user}.on_leave_until >= {d}))"
    )


def _valid_sql(day: date) -> str:
    d = _day(day)
    return f"NOT c.revoked AND c.issued_on <= {d} AND c.expires_on >= {d}"


def service_sql(*, ipwl: bool, day: date) -> str:
    """Whether facility `f` offers the service: always, unless the need is served only at a designated IPWL (on
    the day) or a BNN clinic."""
    if not ipwl:
        return "TRUE"
    d = _day(day)
    return (
        f"((f.is_ipwl AND (f.ipwl_valid_from IS NULL OR f.ipwl_valid_from <= {d}) "
        f"AND (f.ipwl_valid_until IS NULL OR f.ipwl_valid_until >= {d})) OR f.type = '{FacilityType.KLINIK_BNN}')"
    )


def _staffed_sql(*, kind: str | None, day: date) -> str:
    if kind is None:
        return (
            "EXISTS (SELECT 1 FROM accounts_roleassignment r WHERE r.facility_id = f.id "
            f"AND r.role IN {STAFF_ROLES_SQL} AND r.active)"
        )
    return (
        "EXISTS (SELECT 1 FROM accounts_roleassignment r JOIN accounts_user u ON u.id = r.user_id "
        f"WHERE r.facility_id = f.id AND r.role IN {STAFF_ROLES_SQL} AND r.active AND u.is_active "
        f"AND NOT {on_leave_sql(day)} "
        "AND EXISTS (SELECT 1 FROM accounts_certification c WHERE c.user_id = r.user_id "
        f"AND c.kind = '{kind}' AND {_valid_sql(day)}))"
    )


def _where(*, kind: str | None, ipwl: bool, day: date, only: bool) -> str:
    where = f"f.active AND {_staffed_sql(kind=kind, day=day)}"
    if kind is not None and ipwl:
        where += f" AND {service_sql(ipwl=True, day=day)}"
    if only:
        where += " AND f.id = %(only)s::uuid"
    return where


_KNN_ORDER = "ORDER BY f.location <-> %(origin)s::geography"
_DISTANCE = "ST_Distance(f.location, %(origin)s::geography)"


# What `knn_sql` reads of a facility (its kind and IPWL designation, capacity, working area), in order; then the
# distance in metres.
KNN_FIELDS = [
    "id",
    "name",
    "village_id",
    "type",
    "is_ipwl",
    "ipwl_valid_from",
    "ipwl_valid_until",
    "inpatient_beds",
    "outpatient_capacity_per_month",
    "working_area",
]


@lru_cache(maxsize=64)
def knn_sql(*, kind: str | None, ipwl: bool, day: date, limit: int, offset: int, only: bool) -> str:
    """Facilities (`KNN_FIELDS`, and the distance in metres) nearest first."""
    return (
        f"SELECT {', '.join('f.' + f for f in KNN_FIELDS)}, {_DISTANCE} "
        f"FROM villages_facility f WHERE {_where(kind=kind, ipwl=ipwl, day=day, only=only)} "
        f"{_KNN_ORDER} LIMIT {int(limit)} OFFSET {int(offset)}"
    )


@lru_cache(maxsize=64)
def facts_sql(*, kind: str | None, ipwl: bool, day: date, limit: int, offset: int, only: bool) -> str:
    """Rows (facility id, name, metres, service offered, facility full, user id, name, active, cap, on leave,
    certificate kinds held, valid on the day, caseload), one per post, at the facilities of `knn_sql`."""
    return f"""
WITH fac AS (
    SELECT f.id, f.name, {_DISTANCE} AS meters, {service_sql(ipwl=ipwl, day=day)} AS service_ok,
           CASE WHEN f.inpatient_beds + f.outpatient_capacity_per_month > 0
                THEN (SELECT count(*) FROM escalations_escalation e
                      WHERE e.facility_id = f.id AND e.status IN ({_TAKEN}))
                     >= f.inpatient_beds + f.outpatient_capacity_per_month
                ELSE FALSE END AS full
    FROM villages_facility f
    WHERE {_where(kind=kind, ipwl=ipwl, day=day, only=only)}
    {_KNN_ORDER} LIMIT {int(limit)} OFFSET {int(offset)}
)
SELECT fac.id::text, fac.name, fac.meters, fac.service_ok, fac.full,
       r.user_id::text, u.name, u.is_active, u.caseload_cap, {on_leave_sql(day)},
       cert.held, cert.valid, {caseload_sql("r.user_id")}
FROM fac
JOIN accounts_roleassignment r ON r.facility_id = fac.id AND r.role IN {STAFF_ROLES_SQL} AND r.active
JOIN accounts_user u ON u.id = r.user_id
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT c.kind) AS held, array_agg(DISTINCT c.kind) FILTER (WHERE {_valid_sql(day)}) AS valid
    FROM accounts_certification c WHERE c.user_id = r.user_id
) cert ON TRUE
ORDER BY fac.meters, fac.id, r.user_id
"""
