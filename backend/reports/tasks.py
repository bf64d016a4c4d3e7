"""Celery interface of the monthly roll-up (rollup_build.py): beat entries, idempotent, never overlapping (the
build's advisory lock: a run that finds it taken returns at once)."""

from __future__ import annotations

from celery import shared_task

from backend.reports.rollup_build import rollup_build, rollup_refresh


@shared_task(name="backend.reports.tasks.rollup_build", ignore_result=True)
def rollup_build_task() -> dict[str, int | bool]:
    """Hourly: build the closed months not built yet (a month closes at midnight in each time zone)."""
    run = rollup_build()
    return {"ran": run.ran, "months": run.months, "rows": run.rows}


@shared_task(name="backend.reports.tasks.rollup_refresh", ignore_result=True)
def rollup_refresh_task() -> dict[str, int | bool]:
    """Every 5 minutes: rebuild the villages a write marked stale (a late visit into a closed month...)."""
    run = rollup_refresh()
    return {"ran": run.ran, "villages": run.villages, "rows": run.rows}
