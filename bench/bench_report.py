"""Benchmark of the monthly report (backend/reports) over one province: by default the database and the
synthetic province of bench_followup.py (`bench_pulih_followup`, 50,000 clients, ~150,000 visits, loaded on first
use and kept; see its docstring for what it holds); with `--large`, a province at national numbers in a database of
its own (`bench_pulih_report_large`: 100,000 clients, 5-15 visits each, ~1,000,000 visits, and the status history
that led every client to their status).

Measured, p50/p95 of --runs runs each, for the month before the current one (so the whole month has data):
- the province's table (rows: 14 regencies; the 6 count queries, 2 percentile queries, the names);
- a regency's table (rows: 8 districts);
- a district's table (rows: villages, with small-number and complementary suppression);
- the 12-month series of the province (8 grouped event queries and 12 month-end status queries);
- the field workers of the province (4 queries);
- the whole JSON answer of GET /reports/monthly for the province (all of the above, once each);
and the floors, in the same run:
- the province table's SQL statements, executed raw (captured from one run, no ORM, no Python around them);
- its heaviest statement alone, raw, prepared once with a generic plan (plan_cache_mode=force_generic_plan);
- an index-only count: the province's clients (the least any report of them can cost).
Not a test: nothing asserts a timing (the machine is shared: compare the ratios).

    .venv/bin/python bench/bench_report.py            # loads the province first if bench_followup.py has not
    .venv/bin/python bench/bench_report.py --runs 10
    .venv/bin/python bench/bench_report.py --large    # the province at national numbers (loads ~3 minutes)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_followup  # noqa: E402  (sets DJANGO_SETTINGS_MODULE and the project path)
import benchdb  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


LARGE_DB, LARGE_CLIENTS, LARGE_VISITS = "bench_pulih_report_large", 100_000, (5, 15)


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--large", action="store_true", help="the province at national numbers (its own database)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    if args.large:
        benchdb.use_bench_database(LARGE_DB, rebuild=False)
    else:
        bench_followup.use_bench_database(rebuild=False)
    import psycopg
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from backend.recovery.models import Client, ContactAttempt, Visit
    from backend.reports.exports import report_json
    from backend.reports.queries import monthly_report
    from backend.reports.selectors import ReportSpec, month_bounds
    from backend.reports.series import monthly_series, worker_rows
    from villages.models import Region

    call_command("migrate", verbosity=0)
    if not Client.objects.exists():
        t0 = time.perf_counter()
        if args.large:
            print(f"loading the province at national numbers into {LARGE_DB} (a few minutes) ...", flush=True)
            rng = random.Random(bench_followup.SEED)
            bench_followup.load(rng, LARGE_CLIENTS, visits_per_client=LARGE_VISITS, history=True)
        else:
            print("loading the synthetic province (bench_followup.py's, a few minutes) ...", flush=True)
            bench_followup.load(random.Random(bench_followup.SEED), 50_000)
        print(f"loaded in {time.perf_counter() - t0:.0f} s", flush=True)
    tz = ZoneInfo("Asia/Jakarta")
    today = timezone.now().astimezone(tz).date()
    month = date(today.year - (today.month == 1), 12 if today.month == 1 else today.month - 1, 1)
    start, end = month_bounds(month=month, tz=tz)

    def spec(code: str, hidden: bool) -> ReportSpec:
        area = Region.objects.get(code=code)
        return ReportSpec(
            area=area, facility=None, month=month, tz=tz, start=start, end=end, small_cells_hidden=hidden
        )

    province, regency, district = spec("62", False), spec("62.01", False), spec("62.01.01", True)
    print(
        f"{Client.objects.count():,} clients, {Visit.objects.count():,} visits, "
        f"{ContactAttempt.objects.count():,} contact attempts; month {month:%Y-%m}; runs: {args.runs}",
        flush=True,
    )

    # The floors: the province table's statements as they reach PostgreSQL, captured once.
    captured: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        monthly_report(spec=province)
    statements = [(sql, params) for sql, params in captured if "recovery_" in sql or "escalations_" in sql]

    def raw_all() -> None:
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()

    durations = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            durations.append((time.perf_counter() - t0, sql, params))
    _slowest, heavy_sql, heavy_params = max(durations, key=lambda d: d[0])
    raw = connection.connection  # psycopg's own: server-side binding, so a prepared statement and its plan
    raw.execute("SET plan_cache_mode = force_generic_plan")
    heavy = psycopg.Cursor(raw)

    def heaviest_generic() -> None:
        heavy.execute(heavy_sql, heavy_params, prepare=True)
        heavy.fetchall()

    def index_only_count() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM recovery_client WHERE village_id >= '62.' AND village_id < '62/'"
            )
            cursor.fetchall()

    measures = {
        "province table (14 regencies)": lambda: monthly_report(spec=province),
        "regency table (8 districts)": lambda: monthly_report(spec=regency),
        "district table (12 villages, suppressed)": lambda: monthly_report(spec=district),
        "province 12-month series": lambda: monthly_series(spec=province),
        "province field workers": lambda: worker_rows(spec=province),
        "province JSON answer (all of it)": lambda: report_json(
            report=monthly_report(spec=province),
            series=monthly_series(spec=province),
            workers=worker_rows(spec=province),
        ),
        f"floor: the province table's {len(statements)} statements, raw": raw_all,
        "floor: its heaviest statement, raw, generic plan": heaviest_generic,
        "floor: index-only count of the province's clients": index_only_count,
    }
    # Round robin: one sample of each measure per round, so a shared machine's load drifting during the run
    # weighs on all of them alike (the ratios stay meaningful).
    for fn in measures.values():
        fn()  # warm-up
    results: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(args.runs):
        for name, fn in measures.items():
            results[name] += timed(fn, 1)
    raw.execute("RESET plan_cache_mode")
    floor = statistics.median(results["floor: its heaviest statement, raw, generic plan"])
    print(f"\n{'measure':<52} {'p50 ms':>9} {'p95 ms':>9} {'/heaviest':>10}")
    for name, samples in results.items():
        p50 = statistics.median(samples)
        print(f"{name:<52} {p50:>9.1f} {pct(samples, 0.95):>9.1f} {p50 / floor:>9.1f}x")
    print("heaviest statement:", " ".join(heavy_sql.split())[:160], "...")
    total = monthly_report(spec=province).total.figures
    print(
        "province totals:",
        {k: total[k] for k in ("clients_active", "visits", "contact_attempts", "clients_lost_contact")},
    )


if __name__ == "__main__":
    main()
