"""The one way escalations change: create, offer, accept, decline, expire, assign by hand, schedule, record the
outcome (and refer on), close.

Concurrency: every answer to an offer is a conditional UPDATE on the offer row (`status='pending'` and, for an
accept, not yet expired): exactly one of two racing requests (two taps, or an accept racing the expiry sweep)
changes it, the other gets 409 `offer_not_open`. The escalation row is then locked (offer first, escalation
second, everywhere) for the follow-up. A partial unique index keeps one pending offer per escalation and one open
escalation per client and need.

Side effects: notifications are stored in the same transaction (notify pushes after commit); every change is
appended to the sync change log.
"""

from __future__ import annotations

from backend.escalations.services.cases import (
    appointments_missed_sweep,
    can_escalate,
    escalation_close,
    escalation_outcome_record,
    escalation_schedule,
)
from backend.escalations.services.common import OPEN_STATUSES, OUTCOMES, field_workers
from backend.escalations.services.offers import (
    escalation_assign,
    escalation_cancel,
    escalation_create,
    escalations_cancel_for_withdrawn_consent,
    offer_accept,
    offer_decline,
    offers_expire,
)

# The visit sync calls `services.tasks_complete_for_visit(visit=...)` for every visit it stores.
from backend.escalations.task_rules import tasks_complete_for_visit

__all__ = [
    "OPEN_STATUSES",
    "OUTCOMES",
    "appointments_missed_sweep",
    "can_escalate",
    "escalation_assign",
    "escalation_cancel",
    "escalation_close",
    "escalation_create",
    "escalations_cancel_for_withdrawn_consent",
    "escalation_outcome_record",
    "escalation_schedule",
    "field_workers",
    "offer_accept",
    "offer_decline",
    "offers_expire",
    "tasks_complete_for_visit",
]
