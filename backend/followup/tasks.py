"""Celery interface of the follow-up: the daily sweep (idempotent: a second run the same day changes nothing)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from backend.followup.sweep import followup_sweep


@shared_task(name="backend.followup.tasks.followup_sweep_daily", ignore_result=True)
def followup_sweep_daily() -> dict[str, int]:
    """Beat runs this hourly: each area is swept once its local time reaches FOLLOWUP_SWEEP_LOCAL_HOUR, and the
    clients already evaluated today are not read again (a failed run is made up an hour later)."""
    return followup_sweep(from_local_hour=settings.FOLLOWUP_SWEEP_LOCAL_HOUR)
