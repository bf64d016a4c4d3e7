"""Celery tasks of the sync app: thin interfaces over its services."""

from __future__ import annotations

from celery import shared_task

from backend.sync.idempotency import idempotency_keys_purge


@shared_task(name="backend.sync.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Drop `Idempotency-Key` rows older than 48 h (beat: hourly is plenty)."""
    return idempotency_keys_purge()
