"""Celery interface of escalations: beat sweeps over the database (no long ETA countdowns, which Redis would
redeliver after its visibility timeout). Idempotent: running a sweep twice changes nothing the second time."""

from __future__ import annotations

from celery import shared_task

from backend.escalations.services import appointments_missed_sweep, offers_expire


@shared_task(name="backend.escalations.tasks.expire_offers", ignore_result=True)
def expire_offers() -> dict[str, int]:
    """Expire offers past their SLA and re-offer; then give field workers tasks for missed appointments."""
    return {"expired": offers_expire(), "missed_appointments": appointments_missed_sweep()}
