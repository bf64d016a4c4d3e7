"""Building and refreshing the monthly roll-up (models.py): `manage.py report_rollup`, an hourly beat entry that
builds the closed months not built yet, and a 5-minute one that rebuilds the villages marked stale.

Set-based: each step is one INSERT ... SELECT over every village concerned (rollup_sql.py), never a loop per
village. A PostgreSQL advisory lock (taken for the transaction) keeps two builds or refreshes from overlapping: the
second one returns at once and says so.

Stale marks are read before the rows are rebuilt and only the marks read are deleted, by their `gen`: a write that
commits while a build runs leaves its own mark (a new row, or a new `gen` the delete does not match), so the
village is rebuilt again by the next refresh rather than left wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from backend.reports.models import COUNT_COLUMNS
from backend.reports.rollup_sql import (
    VILLAGES_ALL,
    VILLAGES_ANY,
    WORKER_COLUMNS,
    month_params,
    village_month_sql,
    worker_month_sql,
)

# pg_advisory_xact_lock's key for every roll-up write ("PULIHRUP" folded into a bigint).
LOCK_KEY = 0x50554C4948525550
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class RollupRun:
    ran: bool  # False: another build held the lock
    months: int = 0  # (time zone, month) pairs built
    villages: int = 0  # villages refreshed (stale marks cleared)
    rows: int = 0  # village-month rows written


def _try_lock() -> bool:
    """Take the roll-up's lock for the transaction, or say it is taken. A build is long and set-based: no
    statement timeout for it, and room to hash and sort in memory."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL statement_timeout = 0; SET LOCAL work_mem = '128MB'")
        return True


def _timezones() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT timezone FROM villages_region WHERE level = 'village' ORDER BY 1")
        return [r[0] for r in cursor.fetchall()]


def _first_days_back(today: date, count: int) -> list[date]:
    """The first days of the `count` calendar months before the one of `today`, oldest first."""
    out, y, m = [], today.year, today.month
    for _ in range(count):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append(date(y, m, 1))
    return out[::-1]


def closed_months(*, count: int = DEFAULT_MONTHS, now: Any = None) -> list[tuple[str, date]]:
    """The (time zone, month) pairs of the last `count` closed months in every time zone of a village."""
    now = now or timezone.now()
    return [
        (tz, m) for tz in _timezones() for m in _first_days_back(now.astimezone(ZoneInfo(tz)).date(), count)
    ]


def _write(months: list[tuple[str, date]], villages: str, extra: dict[str, Any]) -> int:
    """Insert the rows of `months` for `villages` (a rollup_sql VILLAGES_* condition); returns the rows written.
    In (month, village) order: an area's rows of a month then lie together in the heap, and a province's series
    reads a few hundred pages, not the whole table."""
    params = month_params(months) | extra
    cols = ", ".join(COUNT_COLUMNS)
    wcols = ", ".join(WORKER_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO reports_villagemonth (village_code, month, {cols}, acceptance_hours, built_at) "
            f"SELECT village_id, month, {cols}, acceptance_hours, now() FROM ({village_month_sql(villages=villages)}) q "
            "ORDER BY month, village_id",
            params,
        )
        rows = cursor.rowcount
        cursor.execute(
            f"INSERT INTO reports_workermonth (village_code, month, user_id, {wcols}, built_at) "
            f"SELECT village_id, month, user_id, {wcols}, now() FROM ({worker_month_sql(villages=villages)}) q "
            "ORDER BY month, village_id",
            params,
        )
    return rows


def _delete_rows(months: list[tuple[str, date]], villages: list[str] | None = None) -> None:
    """Delete the stored rows of these (time zone, month) pairs (of `villages` only, if given)."""
    for table in ("reports_villagemonth", "reports_workermonth"):
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} t USING villages_region r, "
                "unnest(%s::text[], %s::date[]) AS m(tz, month) "
                "WHERE r.code = t.village_code AND r.timezone = m.tz AND t.month = m.month "
                "AND (%s::text[] IS NULL OR t.village_code = ANY(%s::text[]))",
                [[tz for tz, _m in months], [m for _tz, m in months], villages, villages],
            )


def _stale_marks() -> list[tuple[str, date, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT village_code, since, gen FROM reports_rollupstale")
        return list(cursor.fetchall())


def _clear_marks(marks: list[tuple[str, date, int]]) -> None:
    """Delete exactly the marks read (see the module docstring)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM reports_rollupstale s USING unnest(%s::text[], %s::bigint[]) AS m(code, gen) "
            "WHERE s.village_code = m.code AND s.gen = m.gen",
            [[c for c, _s, _g in marks], [g for _c, _s, g in marks]],
        )


def rollup_build(*, months: int = DEFAULT_MONTHS, rebuild: bool = False, now: Any = None) -> RollupRun:
    """Build the last `months` closed months of every village not built yet (all of them with `rebuild`), drop
    the older ones, and clear the stale marks (the months rebuilt now are fresh; the others are refreshed)."""
    with transaction.atomic():
        if not _try_lock():
            return RollupRun(ran=False)
        wanted = closed_months(count=months, now=now)
        with connection.cursor() as cursor:
            cursor.execute("SELECT timezone, month FROM reports_rollupmonth")
            built = {(tz, m) for tz, m in cursor.fetchall()}
        todo = wanted if rebuild else [p for p in wanted if p not in built]
        dropped = [p for p in built if p not in set(wanted)]
        marks = _stale_marks() if todo else []
        rows = 0
        if todo or dropped:
            _delete_rows(todo + dropped)
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM reports_rollupmonth m USING unnest(%s::text[], %s::date[]) AS d(tz, month) "
                    "WHERE m.timezone = d.tz AND m.month = d.month",
                    [[tz for tz, _m in todo + dropped], [m for _tz, m in todo + dropped]],
                )
        if todo:
            rows = _write(todo, VILLAGES_ALL, {})
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO reports_rollupmonth (timezone, month, built_at) "
                    "SELECT tz, month, now() FROM unnest(%s::text[], %s::date[]) AS d(tz, month)",
                    [[tz for tz, _m in todo], [m for _tz, m in todo]],
                )
        # A mark older than every month rebuilt now concerns months rebuilt now or no longer kept; a mark inside
        # an untouched built month stays for the refresh.
        if marks and not [p for p in wanted if p not in todo]:
            _clear_marks(marks)
        return RollupRun(ran=True, months=len(todo), rows=rows)


def rollup_refresh() -> RollupRun:
    """Rebuild, for the villages marked stale, their built months from the earliest marked one on."""
    with transaction.atomic():
        if not _try_lock():
            return RollupRun(ran=False)
        marks = _stale_marks()
        if not marks:
            return RollupRun(ran=True)
        since = min(s for _c, s, _g in marks)
        villages = sorted({c for c, _s, _g in marks})
        with connection.cursor() as cursor:
            cursor.execute("SELECT timezone, month FROM reports_rollupmonth WHERE month >= %s", [since])
            months = [(tz, m) for tz, m in cursor.fetchall()]
        rows = 0
        if months:
            _delete_rows(months, villages)
            rows = _write(months, VILLAGES_ANY, {"villages": villages})
        _clear_marks(marks)
        return RollupRun(ran=True, months=len(months), villages=len(villages), rows=rows)
