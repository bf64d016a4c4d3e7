"""The one way escalations change: create, offer, accept, decline, expire, assign by hand, cancel, schedule,
record the outcome (and refer on), close; and a client's status changed by hand.

- offers.py: create an escalation and answer its offers (accept, decline, the expiry sweep);
- routing_flow.py: route and offer the case to the next nearest eligible person, or hand it to the coordinator;
- assignment.py: a coordinator assigns or cancels; a withdrawn referral consent cancels;
- cases.py: schedule, outcome, close, and the missed-appointment sweep;
- client_status.py: a status change by hand (it must know of escalations);
- locking.py: the lock order and the access checks that take locks; support.py: what they all share.

Side effects: notifications are stored in the same transaction (notify pushes after commit); every change is
appended to the sync change log. The reactions to recovery's events are in ../handlers.py.
"""

from __future__ import annotations

from backend.escalations.services.assignment import (
    escalation_assign,
    escalation_cancel,
    escalations_cancel_for_withdrawn_consent,
)
from backend.escalations.services.cases import (
    appointments_missed_sweep,
    escalation_close,
    escalation_outcome_record,
    escalation_schedule,
)
from backend.escalations.services.client_status import client_status_change
from backend.escalations.services.offers import (
    escalation_create,
    offer_accept,
    offer_decline,
    offers_expire,
)
from backend.escalations.services.support import OUTCOMES, field_workers

__all__ = [
    "OUTCOMES",
    "appointments_missed_sweep",
    "client_status_change",
    "escalation_assign",
    "escalation_cancel",
    "escalation_close",
    "escalation_create",
    "escalation_outcome_record",
    "escalation_schedule",
    "escalations_cancel_for_withdrawn_consent",
    "field_workers",
    "offer_accept",
    "offer_decline",
    "offers_expire",
]
