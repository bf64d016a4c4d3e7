"""Writes of the notifications app: `notify` (inbox row + push outbox) and read marks (devices: devices.py);
the second channel's writes (`digest_send`, `notification_settle`, `channel_preference_set`) are at the end.

`notify` is called by other services inside their own transaction. The row it writes is both the user's inbox
entry and the push outbox entry: the push is published to Celery only after the transaction commits, and if
the broker is down then, the row simply stays `pending` and the beat sweep (`notifications.tasks.sweep_outbox`)
publishes it later. The unique (recipient, event_key) makes a repeated event a no-op: never two inbox entries,
never two pushes.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone, translation

from backend.accounts.models import User
from backend.common.errors import NotFound
from backend.sync.changelog import change_record, change_record_addressed
from notifications import texts
from notifications.channels import SECOND_CHANNEL_NAMES, outbox
from notifications.models import ChannelMessage, ChannelPreference, Device, Notification
from notifications.tasks import channel_message_publish, push_notification

logger = logging.getLogger(__name__)

PRIORITIES = ("normal", "high")
EVENT_KEY_MAX = Notification._meta.get_field("event_key").max_length or 160
# Keys allowed in `data` besides "<thing>_id": the payload passes through Google, so ids only.
_DATA_EXTRA_KEYS = {"screen"}


def _clean_data(data: dict[str, Any] | None) -> dict[str, str]:
    clean: dict[str, str] = {}
    for key, value in (data or {}).items():
        if not (key.endswith("_id") or key in _DATA_EXTRA_KEYS):
            raise ValueError(f"notification data may carry ids only (`*_id` keys), got {key!r}")
        if not isinstance(value, str | uuid.UUID | int):
            raise ValueError(f"notification data value of {key!r} must be an id, got {type(value).__name__}")
        clean[key] = str(value)
    return clean


class _BrokerCircuit:
    """After a failed publish, skip publishing in this process for a while: with Redis down each attempt
    costs the request about 2 s (kombu's connect timeout) for nothing, since the sweep will publish anyway."""

    open_seconds = 30.0

    def __init__(self) -> None:
        self.open_until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self) -> None:
        self.open_until = time.monotonic() + self.open_seconds

    def reset(self) -> None:
        self.open_until = 0.0


broker_circuit = _BrokerCircuit()


def _publish_push(notification_id: uuid.UUID) -> None:
    """Hand the push to Celery; if the broker is unreachable the row stays pending for the sweep."""
    if broker_circuit.is_open():
        logger.info("broker recently unreachable; notification %s left to the outbox sweep", notification_id)
        return
    try:
        push_notification.apply_async(kwargs={"notification_id": str(notification_id)}, retry=False)
    except Exception:  # kombu/redis raise many kinds; any of them means "the sweep will do it"
        broker_circuit.trip()
        logger.warning("push of notification %s not published; outbox sweep will retry", notification_id)


def _publish_pushes(notification_ids: list[uuid.UUID]) -> None:
    """After commit: hand a batch of pushes to Celery over one broker connection; if the broker is unreachable
    the rows not handed over stay pending for the sweep."""
    if broker_circuit.is_open():
        logger.info("broker recently unreachable; %d notifications left to the sweep", len(notification_ids))
        return
    published = 0
    try:
        with push_notification.app.producer_or_acquire() as producer:
            for notification_id in notification_ids:
                push_notification.apply_async(
                    kwargs={"notification_id": str(notification_id)}, retry=False, producer=producer
                )
                published += 1
    except Exception:  # kombu/redis raise many kinds; any of them means "the sweep will do it"
        broker_circuit.trip()
        logger.warning(
            "%d of %d pushes not published; outbox sweep will retry",
            len(notification_ids) - published,
            len(notification_ids),
        )


@dataclass(frozen=True)
class Notice:
    """One notification for `notify_many`: notify's arguments."""

    recipient: User
    kind: str
    event_key: str
    params: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    priority: str = "normal"
    ttl_seconds: int | None = None


def _notification_row(n: Notice) -> Notification:
    """The row of a notice, its text rendered in the recipient's language; bad arguments raise ValueError."""
    if n.priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {PRIORITIES}, got {n.priority!r}")
    if not 0 < len(n.event_key) <= EVENT_KEY_MAX:
        raise ValueError(f"event_key must be 1-{EVENT_KEY_MAX} characters, got {len(n.event_key)}")
    # An SLA already past gives 0: stored, shown in the inbox, never pushed (see tasks._deliver).
    ttl_seconds = None if n.ttl_seconds is None else max(0, int(n.ttl_seconds))
    clean_data = _clean_data(n.data)
    with translation.override(n.recipient.language or "id"):
        title, body = texts.render_inbox(n.kind, n.params or {})
    return Notification(
        recipient=n.recipient,
        kind=n.kind,
        event_key=n.event_key,
        title=title[:200],
        body=body,
        data=clean_data,
        priority=n.priority,
        ttl_seconds=ttl_seconds,
    )


_INSERT_COLUMNS = (
    "id recipient_id kind event_key title body data priority ttl_seconds created_at push_state push_attempts"
    " push_next_attempt_at push_last_error"
).split()


def _notifications_insert(rows: list[Notification]) -> set[uuid.UUID]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, in one statement whatever the number of rows (one JSON
    parameter): a repeated or concurrent event waits for, then yields to, the first. Returns the ids stored."""
    if not rows:
        return set()
    payload = json.dumps(
        [
            {
                "id": str(r.id),
                "recipient_id": str(r.recipient_id),
                "kind": r.kind,
                "event_key": r.event_key,
                "title": r.title,
                "body": r.body,
                "data": r.data,
                "priority": r.priority,
                "ttl_seconds": r.ttl_seconds,
                "created_at": r.created_at.isoformat(),
                "push_state": r.push_state,
                "push_attempts": r.push_attempts,
                "push_next_attempt_at": r.push_next_attempt_at.isoformat(),
                "push_last_error": r.push_last_error,
            }
            for r in rows
        ]
    )
    types = (
        "id uuid, recipient_id uuid, kind text, event_key text, title text, body text, data jsonb, priority text,"
        " ttl_seconds integer, created_at timestamptz, push_state text, push_attempts smallint,"
        " push_next_attempt_at timestamptz, push_last_error text"
    )
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = ", ".join(_INSERT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({types}) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [payload],
        )
        return {row[0] for row in cursor.fetchall()}


def notify_many(notices: list[Notice], *, batch: int = 500) -> list[Notification]:
    """`notify` for many notices at once (a daily sweep's): the rows in one INSERT, their change log in one more,
    and the pushes handed to Celery after commit, `batch` per broker connection. A notice whose (recipient,
    event_key) exists already, or repeats an earlier one of the list, is skipped. Returns the rows stored."""
    rows = [_notification_row(n) for n in notices]
    stored = _notifications_insert(rows)
    created = [r for r in rows if r.id in stored]
    for row in created:
        row._state.adding, row._state.db = False, "default"
    change_record_addressed(entity="notification", rows=[(r.id, None, r.recipient_id) for r in created])
    ids = [r.id for r in created]
    for i in range(0, len(ids), batch):
        transaction.on_commit(partial(_publish_pushes, ids[i : i + batch]))
    return created


def notify(
    *,
    recipient: User,
    kind: str,
    event_key: str,
    params: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    priority: str = "normal",
    ttl_seconds: int | None = None,
) -> Notification | None:
    """Store an inbox entry for `recipient` in the current transaction and push it after commit.

    `event_key` names the event (e.g. "offer:<offer id>"): the same (recipient, event_key) again returns None
    and changes nothing. `params` fill the inbox text (client CODE, times); `data` holds ids only (string
    values, `*_id` keys), sent in the push so the app can open the right screen. Unknown kind, missing params
    or non-id data raise ValueError: those are programming errors.
    """
    notice = Notice(recipient, kind, event_key, params, data, priority, ttl_seconds)
    row = _notification_row(notice)
    # INSERT ... ON CONFLICT DO NOTHING: a concurrent or repeated event waits for, then yields to, the first.
    if not _notifications_insert([row]):
        return None
    row._state.adding, row._state.db = False, "default"
    change_record(entity="notification", entity_id=row.id, user_id=recipient.id)
    transaction.on_commit(partial(_publish_push, row.id))
    return row


def notification_mark_read(*, user: User, notification_id: uuid.UUID) -> Notification:
    """Mark one of the user's own notifications read (again is a no-op). Someone else's: NotFound."""
    with transaction.atomic():
        changed = Notification.objects.filter(
            id=notification_id, recipient=user, read_at__isnull=True
        ).update(read_at=timezone.now())
        row = Notification.objects.filter(id=notification_id, recipient=user).first()
        if row is None:
            raise NotFound()
        if changed:
            # The user's other phones learn of it through /sync/changes.
            change_record(entity="notification", entity_id=row.id, user_id=user.id)
    return row


# --- The second channel (WhatsApp, SMS): notifications/channels -------------------------------------------
# A digest not sent by then is not sent: tomorrow brings its own.
DIGEST_TTL = timedelta(hours=12)


def _publish_channel_message(message_id: uuid.UUID) -> None:
    """After commit; with the broker recently down, leave it to the second-channel sweep straight away."""
    if broker_circuit.is_open():
        logger.info("broker recently unreachable; channel message %s left to the sweep", message_id)
        return
    if not channel_message_publish(message_id):
        broker_circuit.trip()


def digest_send(
    user: User, text_kind: str = "daily_digest", *, day: date | None = None
) -> ChannelMessage | None:
    """The day's digest by WhatsApp or SMS for a user push cannot reach (no registered device: FCM deletes
    dead tokens, so none left means no working one). Once per user, kind and day (`day`, default today in
    Indonesia's WIB); published after the caller's transaction commits, never blocking it. None when push
    reaches them, they opted in to no usable channel, or today's was made already."""
    if Device.objects.filter(user=user).exists():
        return None
    day = day or timezone.localdate()
    row = outbox.message_create(
        recipient=user,
        kind=text_kind,
        event_key=f"{text_kind}:{day.isoformat()}",
        expires_at=timezone.now() + DIGEST_TTL,
    )
    if row is not None:
        transaction.on_commit(partial(_publish_channel_message, row.id))
    return row


def notification_settle(*, recipient_id: uuid.UUID, event_key: str) -> int:
    """The event a notification was about is over (an offer answered, say): no WhatsApp or SMS message will
    be sent about it any more; one waiting is skipped. The inbox entry itself is untouched (still unread if it
    was). Call it in the transaction that settles the event; unknown (recipient, event_key) is a no-op.
    Returns how many waiting messages were skipped."""
    notification = Notification.objects.filter(recipient_id=recipient_id, event_key=event_key).first()
    if notification is None or notification.priority != "high" or notification.read_at is not None:
        return 0  # never escalated to a second channel: nothing to settle
    return outbox.messages_settle(notification=notification)


def channel_preference_set(
    *, user: User, whatsapp: bool | None = None, sms: bool | None = None
) -> ChannelPreference:
    """Opt the user in to or out of WhatsApp and SMS at their own number (None leaves a channel as it is).
    Opting out also stops what still waits to go out on that channel."""
    wanted = {name: value for name, value in (("whatsapp", whatsapp), ("sms", sms)) if value is not None}
    with transaction.atomic():
        preference, _created = ChannelPreference.objects.select_for_update().get_or_create(user=user)
        for name, value in wanted.items():
            setattr(preference, f"{name}_opt_in", value)
        if wanted:
            preference.updated_at = timezone.now()
            preference.save()
        for name in SECOND_CHANNEL_NAMES:
            if not preference.opted_in(name):
                outbox.messages_skip_opted_out(user=user, channel=name)
    return preference
