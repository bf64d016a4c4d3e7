"""The roll-up's figures per (village, month) as SQL: one statement for the report's counts, one for the field
workers', each set-based over all the villages it is given (never a loop per village). The same text builds the
stored roll-up (rollup_build.py, every village) and computes, live, the months the roll-up cannot give
(rollup.py: the current month, a month not built, a village marked stale), so both follow one definition.

Every count is the live report's (queries.py, series.py) per village, with the month taken in the village's own
time zone: the statuses at each month's start and end from the status history as intervals (the rule of
queries.py's docstring), "no visit for 30 days" from one pass over the visits (a visit counts for the window of its
month's end, and for the next month's end when it falls in its last 30 days), the times to acceptance as a list.

Parameters (named): tz, month, m_start, m_end (arrays, one element per (time zone, month)), lo and hi (the
earliest start and latest end), active, treatment, lapsed (status arrays) and those of the village filter.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from backend.recovery.assist import SUBSTANCES
from backend.recovery.lifecycle import ACTIVE, IN_TREATMENT, ClientStatus
from backend.recovery.models import ContactResult, VisitType
from backend.reports.models import COUNT_COLUMNS
from backend.reports.selectors import month_bounds

# The villages of the computation: a condition on the client's village code `c.village_id`.
VILLAGES_ALL = "TRUE"
VILLAGES_ONE = "c.village_id = %(village)s"
VILLAGES_UNDER = "c.village_id LIKE %(village_like)s"  # one range of the prefix index: '33.05.%'
VILLAGES_ANY = "c.village_id = ANY(%(villages)s)"

_PRELUDE = """
months AS (
  SELECT * FROM unnest(%(tz)s::text[], %(month)s::date[], %(m_start)s::timestamptz[], %(m_end)s::timestamptz[])
    AS m(tz, month, m_start, m_end)
),
pop AS MATERIALIZED (
  SELECT c.id, c.village_id, c.created_at, c.status, r.timezone AS tz
  FROM recovery_client c JOIN villages_region r ON r.code = c.village_id
  WHERE {villages} AND r.timezone IN (SELECT tz FROM months)
),
vis AS MATERIALIZED (
  SELECT v.client_id, p.village_id, p.tz, v.type, v.logged_by_id, v.occurred_at AT TIME ZONE p.tz AS lt
  FROM recovery_visit v JOIN pop p ON p.id = v.client_id
  WHERE v.occurred_at >= %(lo)s::timestamptz - interval '31 days' AND v.occurred_at < %(hi)s
)"""


def _count_if(cond: str, name: str) -> str:
    return f"count(*) FILTER (WHERE {cond}) AS {name}"


def _parts() -> dict[str, tuple[str, str]]:
    """name -> (its CTEs, its SELECT of village_id, month and some count columns [, acceptance_hours])."""
    visit_types = ", ".join(_count_if(f"type = '{t}'", f"visits_{t}") for t in VisitType.values)
    visit_sums = ", ".join(f"sum(visits_{t}) AS visits_{t}" for t in VisitType.values)
    substances = ", ".join(
        _count_if(f"s.scores -> '{s}' ->> 'risk' IN ('moderate', 'high')", f"screenings_substance_{s}")
        for s in SUBSTANCES
    )
    risks = ", ".join(
        _count_if(f"s.highest_risk = '{r}'", n)
        for r, n in (
            ("none", "screenings_risk_none"),
            ("low", "screenings_risk_low"),
            ("moderate", "screenings_risk_moderate"),
            ("high", "screenings_high_risk"),
        )
    )
    results = ", ".join(_count_if(f"a.result = '{r}'", f"contact_attempts_{r}") for r in ContactResult.values)
    statuses = ", ".join(
        _count_if(f"se.status = '{s}'", f"clients_{s}")
        for s in ("community_recovery", "outpatient", "inpatient", "methadone", "post_rehab")
    )
    in_month = lambda col: f"{col} >= m.m_start AND {col} < m.m_end"  # noqa: E731
    return {
        "registered": (
            "",
            "SELECT p.village_id, m.month, count(*) AS clients_registered FROM pop p "
            "JOIN months m ON m.tz = p.tz AND p.created_at >= m.m_start AND p.created_at < m.m_end GROUP BY 1, 2",
        ),
        "statuses": (
            """
ch AS (
  SELECT sc.client_id, sc.at, sc.from_status, sc.to_status, row_number() OVER w AS rn, lead(sc.at) OVER w AS next_at
  FROM recovery_clientstatuschange sc WHERE sc.client_id IN (SELECT id FROM pop)
  WINDOW w AS (PARTITION BY sc.client_id ORDER BY sc.at, sc.id)
),
iv AS (
  SELECT p.id, p.village_id, p.tz, p.created_at, '-infinity'::timestamptz AS vfrom,
         COALESCE(f.at, 'infinity'::timestamptz) AS vto, COALESCE(f.from_status, p.status) AS status
  FROM pop p LEFT JOIN ch f ON f.client_id = p.id AND f.rn = 1
  UNION ALL
  SELECT ch.client_id, p.village_id, p.tz, p.created_at, ch.at, COALESCE(ch.next_at, 'infinity'::timestamptz),
         ch.to_status
  FROM ch JOIN pop p ON p.id = ch.client_id
),
se AS (
  SELECT iv.id, iv.village_id, m.month, m.m_end, iv.created_at, iv.status
  FROM iv JOIN months m ON m.tz = iv.tz AND iv.created_at < m.m_end AND iv.vfrom < m.m_end AND m.m_end <= iv.vto
),
vcm_recent AS (
  SELECT client_id, date_trunc('month', lt) AS mloc,
         bool_or(lt >= date_trunc('month', lt) + interval '1 month' - interval '30 days') AS w0,
         bool_or(lt >= date_trunc('month', lt) + interval '2 months' - interval '30 days') AS w1
  FROM vis GROUP BY 1, 2
),
recent AS (
  SELECT client_id, mloc::date AS month FROM vcm_recent WHERE w0
  UNION SELECT client_id, (mloc + interval '1 month')::date FROM vcm_recent WHERE w1
),
p_start AS (
  SELECT iv.village_id, m.month, count(*) AS clients_active_start
  FROM iv JOIN months m ON m.tz = iv.tz AND iv.created_at < m.m_start AND iv.vfrom < m.m_start
    AND m.m_start <= iv.vto
  WHERE iv.status = ANY(%(active)s) GROUP BY 1, 2
)""",
            f"""SELECT se.village_id, se.month,
  {_count_if("se.status = ANY(%(active)s)", "clients_active")},
  {_count_if("se.status = ANY(%(treatment)s)", "clients_in_treatment")}, {statuses},
  {
                _count_if(
                    "se.status = ANY(%(active)s) AND se.created_at < se.m_end - interval '30 days' AND r.client_id IS NULL",
                    "clients_without_visit_30d",
                )
            }
FROM se LEFT JOIN recent r ON r.client_id = se.id AND r.month = se.month GROUP BY 1, 2""",
        ),
        # Needs the CTEs of "statuses" (p_start).
        "active_start": ("", "SELECT village_id, month, clients_active_start FROM p_start"),
        "changes": (
            "",
            f"""SELECT p.village_id, m.month,
  count(DISTINCT sc.client_id) FILTER (WHERE sc.to_status = 'dropped_out') AS clients_dropped_out,
  count(DISTINCT sc.client_id) FILTER (WHERE sc.to_status = 'lost_contact') AS clients_lost_contact,
  count(DISTINCT sc.client_id) FILTER (WHERE sc.from_status = ANY(%(lapsed)s) AND sc.to_status = ANY(%(active)s))
    AS clients_recontacted,
  {_count_if("sc.to_status = 'dropped_out'", "changes_dropped_out")},
  {_count_if("sc.to_status = 'lost_contact'", "changes_lost_contact")}
FROM recovery_clientstatuschange sc JOIN pop p ON p.id = sc.client_id
  JOIN months m ON m.tz = p.tz AND {in_month("sc.at")}
WHERE sc.at >= %(lo)s AND sc.at < %(hi)s GROUP BY 1, 2""",
        ),
        "screenings": (
            "",
            f"""SELECT p.village_id, m.month, count(*) AS screenings,
  {_count_if("s.injected_recently", "screenings_injecting")}, {risks}, {substances}
FROM recovery_screening s JOIN pop p ON p.id = s.client_id JOIN months m ON m.tz = p.tz AND {in_month("s.screened_at")}
WHERE s.screened_at >= %(lo)s AND s.screened_at < %(hi)s GROUP BY 1, 2""",
        ),
        "visits": (
            f"""
vcm AS (
  SELECT client_id, village_id, tz, date_trunc('month', lt)::date AS month, count(*) AS n, {visit_types}
  FROM vis GROUP BY 1, 2, 3, 4
)""",
            f"""SELECT vcm.village_id, vcm.month, sum(n) AS visits, count(*) AS clients_visited, {visit_sums}
FROM vcm JOIN months m ON m.tz = vcm.tz AND m.month = vcm.month GROUP BY 1, 2""",
        ),
        "contacts": (
            "",
            f"""SELECT p.village_id, m.month, count(*) AS contact_attempts, {results}
FROM recovery_contactattempt a JOIN pop p ON p.id = a.client_id JOIN months m ON m.tz = p.tz AND {in_month("a.occurred_at")}
WHERE a.occurred_at >= %(lo)s AND a.occurred_at < %(hi)s GROUP BY 1, 2""",
        ),
        "escalations": (
            """
esc AS (
  SELECT e.id, e.created_at, e.accepted_at, e.closed_at, e.cancelled_at, e.to_coordinator_at, e.status,
         p.village_id, p.tz
  FROM escalations_escalation e JOIN pop p ON p.id = e.client_id WHERE e.created_at < %(hi)s
),
ans AS (
  SELECT o.escalation_id, m.month, bool_or(o.status = 'declined') AS declined, bool_or(o.status = 'expired') AS expired
  FROM escalations_offer o JOIN esc ON esc.id = o.escalation_id
    JOIN months m ON m.tz = esc.tz AND o.answered_at >= m.m_start AND o.answered_at < m.m_end
  WHERE o.status IN ('declined', 'expired') GROUP BY 1, 2
)""",
            f"""SELECT esc.village_id, m.month,
  {_count_if("esc.created_at >= m.m_start", "escalations_created")},
  {_count_if(in_month("esc.accepted_at"), "escalations_accepted")},
  {_count_if("ans.declined", "escalations_declined")}, {_count_if("ans.expired", "escalations_expired")},
  {_count_if(in_month("esc.to_coordinator_at"), "escalations_to_coordinator")},
  {_count_if(in_month("esc.cancelled_at"), "escalations_cancelled")},
  {
                _count_if(
                    "(esc.accepted_at IS NULL OR esc.accepted_at >= m.m_end)"
                    " AND (esc.closed_at IS NULL OR esc.closed_at >= m.m_end)"
                    " AND (esc.cancelled_at IS NULL OR esc.cancelled_at >= m.m_end)"
                    " AND NOT (esc.status = 'cancelled' AND esc.cancelled_at IS NULL)",
                    "escalations_waiting",
                )
            },
  array_agg((EXTRACT(EPOCH FROM (esc.accepted_at - esc.created_at)) / 3600.0)::float8 ORDER BY esc.id)
    FILTER (WHERE {in_month("esc.accepted_at")}) AS acceptance_hours
FROM esc JOIN months m ON m.tz = esc.tz AND esc.created_at < m.m_end
  LEFT JOIN ans ON ans.escalation_id = esc.id AND ans.month = m.month
GROUP BY 1, 2""",
        ),
    }


def _select_columns(select: str) -> set[str]:
    """The count columns a part's SELECT gives (by their `AS name`, or as the bare column of p_start)."""
    return {c for c in COUNT_COLUMNS if re.search(rf"(AS|month,) {c}\b", select)}


def village_month_sql(*, villages: str, parts: tuple[str, ...] | None = None) -> str:
    """A query of one row per (village_id, month) with every count column (0 where none) and acceptance_hours,
    for the villages of `villages` (a VILLAGES_* condition) and the months of the parameters."""
    chosen = {k: v for k, v in _parts().items() if parts is None or k in parts}
    ctes = [_PRELUDE.format(villages=villages)] + [c for c, _s in chosen.values() if c]
    unions = []
    for name, (_c, select) in chosen.items():
        given = _select_columns(select)
        cols = ", ".join(c if c in given else f"0 AS {c}" for c in COUNT_COLUMNS)
        acc = "acceptance_hours" if name == "escalations" else "NULL::float8[] AS acceptance_hours"
        unions.append(f"SELECT village_id, month, {cols}, {acc} FROM ({select}) x")
    sums = ", ".join(f"sum({c})::int AS {c}" for c in COUNT_COLUMNS)
    return (
        "WITH "
        + ",\n".join(ctes)
        + ",\nparts AS (\n"
        + "\nUNION ALL\n".join(unions)
        + f"\n)\nSELECT village_id, month, {sums}, COALESCE(max(acceptance_hours), '{{}}') AS acceptance_hours"
        + "\nFROM parts GROUP BY village_id, month"
    )


WORKER_COLUMNS = ("visits", "contact_attempts", "tasks_on_time", "tasks_late", "tasks_open")


def worker_month_sql(*, villages: str) -> str:
    """One row per (village_id, month, user_id) of series.worker_rows's figures, for the same villages and
    months: visits and contact attempts logged, tasks done on time or late in the month (the due date against the
    completion's date in the village's time zone), tasks open at its end (queued ones are not)."""
    return f"""WITH {_PRELUDE.format(villages=villages)},
w AS (
  SELECT vis.village_id, m.month, vis.logged_by_id AS user_id, count(*) AS visits, 0 AS contact_attempts,
         0 AS tasks_on_time, 0 AS tasks_late, 0 AS tasks_open
  FROM vis JOIN months m ON m.tz = vis.tz AND m.month = date_trunc('month', vis.lt)::date GROUP BY 1, 2, 3
  UNION ALL
  SELECT p.village_id, m.month, a.logged_by_id, 0, count(*), 0, 0, 0
  FROM recovery_contactattempt a JOIN pop p ON p.id = a.client_id
    JOIN months m ON m.tz = p.tz AND a.occurred_at >= m.m_start AND a.occurred_at < m.m_end
  WHERE a.occurred_at >= %(lo)s AND a.occurred_at < %(hi)s GROUP BY 1, 2, 3
  UNION ALL
  SELECT p.village_id, m.month, t.assignee_id, 0, 0,
    count(*) FILTER (WHERE t.status = 'done' AND t.completed_at >= m.m_start AND t.completed_at < m.m_end
                     AND (t.completed_at AT TIME ZONE p.tz)::date <= t.due_on),
    count(*) FILTER (WHERE t.status = 'done' AND t.completed_at >= m.m_start AND t.completed_at < m.m_end
                     AND (t.completed_at AT TIME ZONE p.tz)::date > t.due_on),
    count(*) FILTER (WHERE t.created_at < m.m_end
                     AND (t.status = 'open' OR (t.status = 'done' AND t.completed_at >= m.m_end)))
  FROM escalations_task t JOIN pop p ON p.id = t.client_id
    JOIN months m ON m.tz = p.tz AND (
      (t.status = 'done' AND t.completed_at >= m.m_start AND t.completed_at < m.m_end)
      OR (t.created_at < m.m_end AND (t.status = 'open' OR (t.status = 'done' AND t.completed_at >= m.m_end))))
  GROUP BY 1, 2, 3  -- no bound on created_at: a task done in the month counts even if (bad data) created later
)
SELECT village_id, month, user_id, {", ".join(f"sum({c})::int AS {c}" for c in WORKER_COLUMNS)}
FROM w GROUP BY 1, 2, 3"""


def month_params(months: list[tuple[str, date]]) -> dict[str, Any]:
    """The parameters of the statements above for these (time zone, first day of month) pairs."""
    bounds = [month_bounds(month=m, tz=ZoneInfo(tz)) for tz, m in months]
    return {
        "tz": [tz for tz, _m in months],
        "month": [m for _tz, m in months],
        "m_start": [b[0] for b in bounds],
        "m_end": [b[1] for b in bounds],
        "lo": min(b[0] for b in bounds),
        "hi": max(b[1] for b in bounds),
        "active": sorted(ACTIVE),
        "treatment": sorted(IN_TREATMENT),
        "lapsed": [ClientStatus.DROPPED_OUT.value, ClientStatus.LOST_CONTACT.value],
    }
