"""Celery interface of field tasks: the daily digest (hourly; once per person per local day)."""

from __future__ import annotations

from celery import shared_task

from backend.tasks.digest import tasks_digest


@shared_task(name="backend.tasks.tasks.task_digest_hourly", ignore_result=True)
def task_digest_hourly() -> dict[str, int]:
    """Beat runs this hourly: everyone whose morning it is (TASKS_DIGEST_LOCAL_HOUR in their zone) and who holds
    open tasks due today or overdue gets today's digest, once."""
    return dict(tasks_digest())
