"""An urgent offer nobody looked at: after URGENT_OFFER_SECOND_CHANNEL_MINUTES, a WhatsApp (or SMS) message.

"Urgent" is a notification of an urgent kind (an escalation offer) pushed with priority "high". It is still
waiting when it is

- **unopened**: `read_at` is empty (the app marks a notification read when it is opened);
- **not settled**: the escalations app calls `notifications.services.notification_settle` when the offer is
  answered, which leaves a `skipped` ChannelMessage in its place (see outbox.messages_settle);
- **not past its TTL**: the push's TTL is the offer's deadline, after which the offer expired anyway.

So the notifications app needs nothing of the escalations app (import contract notifications-below-domains):
the notification row and the settle call say all. The worker checks "unopened" and the deadline again just
before sending (outbox.skip_reason).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import DateTimeField, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Value

from notifications.channels.outbox import URGENT_KIND, message_create, urgent_event_key, usable_channels
from notifications.models import ChannelMessage, Notification

URGENT_KINDS = ("escalation_offered",)
# Never reach further back than this, whatever the TTL: an offer older than two days is not urgent news.
LOOKBACK = timedelta(days=2)


def waiting_after() -> timedelta:
    return timedelta(minutes=settings.URGENT_OFFER_SECOND_CHANNEL_MINUTES)


def deadline_of(notification: Notification) -> datetime | None:
    if notification.ttl_seconds is None:
        return None
    return notification.created_at + timedelta(seconds=notification.ttl_seconds)


def urgent_unopened(*, now: datetime, limit: int) -> list[Notification]:
    """Urgent notifications unopened for the configured time, still before their deadline, with no second
    channel message yet, to recipients who opted in to a channel that is usable now. Oldest first."""
    names = usable_channels()
    if not names:
        return []
    opted_in = reduce(or_, (Q(**{f"recipient__channel_preference__{name}_opt_in": True}) for name in names))
    already = ChannelMessage.objects.filter(notification=OuterRef("pk"), kind=URGENT_KIND)
    deadline = ExpressionWrapper(
        F("created_at")
        + ExpressionWrapper(F("ttl_seconds") * Value(timedelta(seconds=1)), output_field=DurationField()),
        output_field=DateTimeField(),
    )
    return list(
        Notification.objects.alias(deadline=deadline)
        .filter(
            opted_in,
            kind__in=URGENT_KINDS,
            priority="high",
            read_at__isnull=True,
            created_at__lte=now - waiting_after(),
            created_at__gt=now - LOOKBACK,
            recipient__is_active=True,
        )
        .filter(Q(ttl_seconds__isnull=True) | Q(deadline__gt=now))
        .exclude(Exists(already))
        .select_related("recipient")
        .order_by("created_at")[:limit]
    )


def urgent_escalate(*, now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Make the second-channel message of every urgent notification left unopened; returns their ids (the
    caller publishes them). Idempotent: a rerun finds the message made and makes nothing."""
    made = []
    for notification in urgent_unopened(now=now, limit=limit):
        row = message_create(
            recipient=notification.recipient,
            kind=URGENT_KIND,
            event_key=urgent_event_key(notification.id),
            notification=notification,
            expires_at=deadline_of(notification),
        )
        if row is not None:
            made.append(row.id)
    return made
