"""Facts the recovery domain announces (backend/common/events.py). Published inside the transaction that records them;
escalations and tasks react (their `handlers` modules). Recovery imports neither."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.accounts.models import User
    from backend.recovery.models import ContactAttempt, Screening, Visit


@dataclass(frozen=True)
class ConsentWithdrawn:
    """A consent of `scope` was withdrawn for the client (the consent row is written)."""

    client_id: uuid.UUID
    scope: str
    actor: User | None


@dataclass(frozen=True)
class ScreeningFlagged:
    """A stored screening calls for an escalation (high risk, or injecting in the last 3 months).

    A reaction records what it did on the screening row (`escalation_id`, or `escalation_blocked_reason`)."""

    screening: Screening
    actor: User


@dataclass(frozen=True)
class ClientStatusChanged:
    """The client's lifecycle status moved (the history row is written)."""

    client_id: uuid.UUID
    village_code: str
    from_status: str
    to_status: str
    actor: User | None


@dataclass(frozen=True)
class VisitsLogged:
    """New visits were stored by one author in one batch (a resend or an edit is not a new fact)."""

    visits: tuple[Visit, ...]
    logged_by_id: uuid.UUID


@dataclass(frozen=True)
class ContactAttemptsLogged:
    """New contact attempts were stored by one author in one batch (a resend is not a new fact). The clients'
    `last_contact_at` already counts the `reached` ones."""

    attempts: tuple[ContactAttempt, ...]
    logged_by_id: uuid.UUID
