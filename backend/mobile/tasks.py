"""Celery tasks of phone sync: thin interfaces over its services. Their names are those they had when they lived
in backend/sync/ (a queued task keeps its name across a deployment)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.mobile.sets import sync_sets_report_oversize
from backend.sync.idempotency import idempotency_keys_purge


@shared_task(name="backend.sync.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Drop `Idempotency-Key` rows older than 48 h (beat: hourly is plenty)."""
    return idempotency_keys_purge()


@shared_task(name="backend.sync.tasks.sync_sets_check_oversize")
def sync_sets_check_oversize() -> int:
    """Report the users who synced in the last day and whose offline set passes SYNC_MAX_SET_SIZE (once per user
    and day; beat: hourly). GET /sync/changes writes nothing of it: reads stay reads."""
    return sync_sets_report_oversize(now=timezone.now())
