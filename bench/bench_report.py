"""Benchmark of the monthly report (backend/reports) over one province of 50,000 clients: the database and the
synthetic province of bench_followup.py (`bench_pulih_followup`, loaded on first use and kept; see its docstring
for what it holds: ~150,000 visits, contact attempts, status changes, open cases at facilities).

Measured, p50/p95 of --runs runs each, for the month before the current one (so the whole month has data):
- the province's table (rows: 14 regencies; the 6 count queries, 2 percentile queries, the names);
- a district's table (rows: villages, with small-number and complementary suppression);
- the 12-month series of the province (8 grouped event queries and 12 month-end status queries);
- the field workers of the province (4 queries);
- the whole JSON answer of GET /reports/monthly for the province (all of the above, once each).
No naive baseline here: the report was never computed row by row in Python in this project. Not a test: nothing
asserts a timing (the machine is shared).

    .venv/bin/python bench/bench_report.py            # loads the province first if bench_followup.py has not
    .venv/bin/python bench/bench_report.py --runs 10
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


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    bench_followup.use_bench_database(rebuild=False)
    from django.core.management import call_command
    from django.utils import timezone

    from backend.recovery.models import Client, ContactAttempt, Visit
    from backend.reports.exports import report_json
    from backend.reports.queries import monthly_report
    from backend.reports.selectors import ReportSpec, month_bounds
    from backend.reports.series import monthly_series, worker_rows
    from villages.models import Region

    call_command("migrate", verbosity=0)
    if not Client.objects.exists():
        print("loading the synthetic province (bench_followup.py's, a few minutes) ...", flush=True)
        bench_followup.load(random.Random(bench_followup.SEED), 50_000)
    tz = ZoneInfo("Asia/Jakarta")
    today = timezone.now().astimezone(tz).date()
    month = date(today.year - (today.month == 1), 12 if today.month == 1 else today.month - 1, 1)
    start, end = month_bounds(month=month, tz=tz)

    def spec(code: str, hidden: bool) -> ReportSpec:
        area = Region.objects.get(code=code)
        return ReportSpec(
            area=area, facility=None, month=month, tz=tz, start=start, end=end, small_cells_hidden=hidden
        )

    province, district = spec("62", False), spec("62.01.01", True)
    print(
        f"{Client.objects.count():,} clients, {Visit.objects.count():,} visits, "
        f"{ContactAttempt.objects.count():,} contact attempts; month {month:%Y-%m}; runs: {args.runs}",
        flush=True,
    )
    measures = {
        "province table (14 regencies)": lambda: monthly_report(spec=province),
        "district table (12 villages, suppressed)": lambda: monthly_report(spec=district),
        "province 12-month series": lambda: monthly_series(spec=province),
        "province field workers": lambda: worker_rows(spec=province),
        "province JSON answer (all of it)": lambda: report_json(
            report=monthly_report(spec=province),
            series=monthly_series(spec=province),
            workers=worker_rows(spec=province),
        ),
    }
    for name, fn in measures.items():
        fn()  # warm-up
        samples = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
        print(
            f"{name:45s} p50 {statistics.median(samples):8.1f} ms   p95 {pct(samples, 0.95):8.1f} ms",
            flush=True,
        )
    total = monthly_report(spec=province).total.figures
    print(
        "province totals:",
        {k: total[k] for k in ("clients_active", "visits", "contact_attempts", "clients_lost_contact")},
    )


if __name__ == "__main__":
    main()
