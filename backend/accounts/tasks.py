"""Celery tasks of the accounts app: thin interfaces over its services."""

from __future__ import annotations

from celery import shared_task

from backend.accounts.services import refresh_tokens_prune


@shared_task(name="backend.accounts.tasks.prune_refresh_tokens")
def prune_refresh_tokens() -> int:
    """Delete long-dead refresh tokens (beat: daily is plenty)."""
    return refresh_tokens_prune()
