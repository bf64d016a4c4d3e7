"""`manage.py report_rollup [--months 12] [--rebuild] [--refresh]`: build the monthly roll-up's closed months not
built yet (all of them with --rebuild), or rebuild the villages marked stale (--refresh). See
backend/reports/rollup_build.py."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backend.reports.rollup_build import DEFAULT_MONTHS, rollup_build, rollup_refresh


class Command(BaseCommand):
    help = "Build (or refresh) the monthly report's roll-up per village and month."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--months", type=int, default=DEFAULT_MONTHS, help="closed months kept (default 12)"
        )
        parser.add_argument("--rebuild", action="store_true", help="rebuild every month, built or not")
        parser.add_argument("--refresh", action="store_true", help="only rebuild the villages marked stale")

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        if options["refresh"]:
            run = rollup_refresh()
        else:
            run = rollup_build(months=options["months"], rebuild=options["rebuild"])
        seconds = time.perf_counter() - start
        if not run.ran:
            self.stdout.write("another roll-up build holds the lock: nothing done")
            return
        self.stdout.write(
            f"roll-up: {run.months} (time zone, month) built, {run.villages} stale villages refreshed, "
            f"{run.rows:,} village-month rows written in {seconds:.1f} s"
        )
