"""The monthly report read from the roll-up (models.py): an area's figures are sums over its villages' rows, which
are one range of the index on (month, village code). The months the roll-up cannot give are computed live by
the same SQL (rollup_sql.py) for the area's villages only: the current month, a month not built yet, and every
month from the earliest stale mark of a village of the area on. Either way the result is the live report's
(tests/reports/test_rollup_exact.py).

Used for an area's report (the whole country and a facility's cases are read live: the whole country spans three
time zones, a facility's cases are few), and only where every village of the area keeps the area's time zone
(the roll-up's months are the village's). Who may read what was decided before (selectors.report_spec_for); the
figures come out exactly as queries.py's, and queries.py hides the small ones as before.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone

from backend.reports.models import COUNT_COLUMNS
from backend.reports.rollup_sql import (
    VILLAGES_ONE,
    VILLAGES_UNDER,
    WORKER_COLUMNS,
    month_params,
    village_month_sql,
    worker_month_sql,
)
from backend.reports.selectors import ReportSpec
from villages.models import RegionLevel


def usable(spec: ReportSpec) -> bool:
    """Whether `spec`'s report may be read from the roll-up (see the module docstring)."""
    if spec.facility is not None or spec.area is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM villages_region c WHERE c.level = 'village' AND "
            f"{_villages(spec, 'c.code')} AND c.timezone <> %(tz)s)",
            _area_params(spec) | {"tz": spec.tz.key},
        )
        return not cursor.fetchone()[0]


def _villages(spec: ReportSpec, column: str) -> str:
    """The condition on a village code `column` for the villages of the area: one range of the prefix index."""
    if spec.area.level == RegionLevel.VILLAGE:  # type: ignore[union-attr]
        return f"{column} = %(village)s"
    return f"{column} LIKE %(village_like)s"


def _area_params(spec: ReportSpec) -> dict[str, str]:
    code = spec.area.code  # type: ignore[union-attr]
    return {"village": code, "village_like": code + ".%"}


def _frozen(spec: ReportSpec, months: list[date]) -> set[date]:
    """The months of `months` read from the stored rows: built, closed, and no village of the area marked stale
    on or before them."""
    current = timezone.now().astimezone(spec.tz).date().replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT month FROM reports_rollupmonth WHERE timezone = %(tz)s AND month = ANY(%(months)s::date[]) "
            "AND month < %(current)s AND month < COALESCE((SELECT min(since) FROM reports_rollupstale s "
            f"WHERE {_villages(spec, 's.village_code')}), 'infinity'::date)",
            _area_params(spec) | {"tz": spec.tz.key, "months": months, "current": current},
        )
        return {r[0] for r in cursor.fetchall()}


def _village_months(
    spec: ReportSpec, months: list[date], *, workers: bool = False
) -> tuple[str, dict[str, Any]]:
    """A relation of the area's rows (village_id, month, counts... or user_id, counts...) for `months`: the
    stored ones where frozen, the others computed now. With the parameters it needs."""
    frozen = _frozen(spec, months)
    live = [m for m in months if m not in frozen]
    table, cols = (
        ("reports_workermonth", ["user_id", *WORKER_COLUMNS])
        if workers
        else ("reports_villagemonth", [*COUNT_COLUMNS, "acceptance_hours"])
    )
    # Month by month (a lateral index scan each; OFFSET 0 keeps it from being flattened): with `month = ANY(twelve months)` the planner estimated a
    # province's 30,000 rows of 290,000 as cheaper to find by reading the whole table (124 ms, vs 47).
    parts = [
        f"SELECT v.village_code AS village_id, v.month, {', '.join('v.' + c for c in cols)} "
        f"FROM unnest(%(frozen)s::date[]) AS fm(month) CROSS JOIN LATERAL (SELECT * FROM {table} t "
        f"WHERE t.month = fm.month AND {_villages(spec, 't.village_code')} OFFSET 0) v"
    ]
    params: dict[str, Any] = _area_params(spec) | {"frozen": sorted(frozen)}
    if live:
        villages = VILLAGES_ONE if spec.area.level == RegionLevel.VILLAGE else VILLAGES_UNDER  # type: ignore[union-attr]
        sql = worker_month_sql(villages=villages) if workers else village_month_sql(villages=villages)
        parts.append(f"SELECT village_id, month, {', '.join(cols)} FROM ({sql}) live")
        params |= month_params([(spec.tz.key, m) for m in live])
    return "\nUNION ALL\n".join(parts), params


def report_counts(
    spec: ReportSpec, n: int
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float | None]]]:
    """The month's counts per child area (code: its first `n` characters) and the times to acceptance per child
    and for everything (code ""): what queries.COUNT_PARTS and _acceptance_measures give live. One statement:
    the area's rows are evaluated once (a live month's are computed, which is the cost), then summed and ranked."""
    relation, params = _village_months(spec, [spec.month])
    sums = ", ".join(f"sum({c})::int AS {c}" for c in COUNT_COLUMNS)
    code = "substr(village_id, 1, %(n)s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH vm AS MATERIALIZED ({relation}), "
            f"counted AS (SELECT {code} AS code, {sums} FROM vm GROUP BY 1), "
            f"ranked AS (SELECT grouping({code}) AS total, {code} AS code, "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY h) AS p50, "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY h) AS p90 "
            f"FROM vm, unnest(vm.acceptance_hours) AS h GROUP BY GROUPING SETS (({code}), ())) "
            "SELECT ranked.total, COALESCE(counted.code, ranked.code), ranked.p50, ranked.p90, "
            f"{', '.join('counted.' + c for c in COUNT_COLUMNS)} "
            "FROM counted FULL JOIN ranked ON ranked.total = 0 AND ranked.code = counted.code",
            params | {"n": n},
        )
        rows = cursor.fetchall()
    counts = {
        r[1]: dict(zip(COUNT_COLUMNS, r[4:], strict=True)) for r in rows if r[0] != 1 and r[4] is not None
    }
    acceptance = {
        ("" if total else code): {
            "acceptance_hours_median": round(p50, 1) if p50 is not None else None,
            "acceptance_hours_p90": round(p90, 1) if p90 is not None else None,
        }
        for total, code, p50, p90, *_counts in rows
        if total is not None
    }
    return counts, acceptance


def series_counts(
    spec: ReportSpec, months: list[date], columns: tuple[str, ...]
) -> dict[date, dict[str, int]]:
    """The area's total of `columns` in each of `months`: one query."""
    relation, params = _village_months(spec, months)
    sums = ", ".join(f"sum({c})::int AS {c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT month, {sums} FROM ({relation}) vm GROUP BY 1", params)
        return {r[0]: dict(zip(columns, r[1:], strict=True)) for r in cursor.fetchall()}


def worker_counts(spec: ReportSpec) -> dict[str, tuple[str, dict[str, int]]]:
    """Per field worker (user id): their name and series.worker_rows's figures of the month in the area. One
    query (a province has thousands of field workers: their names by a join, not a list of ids)."""
    relation, params = _village_months(spec, [spec.month], workers=True)
    sums = ", ".join(f"sum({c})::int AS {c}" for c in WORKER_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.*, u.name FROM (SELECT user_id, {sums} FROM ({relation}) vm GROUP BY 1) w "
            "JOIN accounts_user u ON u.id = w.user_id",
            params,
        )
        return {
            str(r[0]): (r[-1], dict(zip(WORKER_COLUMNS, r[1:-1], strict=True))) for r in cursor.fetchall()
        }
