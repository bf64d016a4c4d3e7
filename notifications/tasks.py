"""The push outbox's workers.

Delivery is at least once and every task is idempotent:
1. `push_notification(notification_id)` claims its row with a conditional UPDATE (pending and due, or
   `sending` whose lease ran out because a worker died mid-send): zero rows updated means someone else has it
   or it is done, so a redelivered or duplicated task does nothing. `sent` rows are never sent again.
2. A transient FCM error puts the row back to `pending` with `push_next_attempt_at` pushed out by exponential
   backoff with jitter (or FCM's Retry-After, at least 60 s after QUOTA_EXCEEDED); after MAX_ATTEMPTS the row
   is `failed`. Permanent errors fail at once. Dead tokens are deleted on the way.
3. `sweep_outbox` (beat, every 30 s) publishes every due row: the ones whose retry time came, and the ones
   created while the broker was down. Retries wait in the database, never in long ETA countdowns, which
   Redis would redeliver after its visibility timeout.
4. The second channel (WhatsApp, SMS; notifications/channels) keeps the same discipline for its own rows,
   ChannelMessage: `send_channel_message` claims, sends once, settles (backoff honouring Retry-After, at most
   CHANNEL_MAX_ATTEMPTS, permanent errors not retried, then the next channel the person opted in to), and
   `sweep_second_channel` (beat, every minute) makes the messages of urgent notifications left unopened and
   publishes every due one.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from notifications import push, texts
from notifications.channels import channel, outbox, urgent
from notifications.devices import devices_delete_tokens, devices_prune_stale
from notifications.models import ChannelMessage, ChannelMessageState, Device, Notification, PushState

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
# How long a claimed row belongs to its worker. A send takes seconds (a user has at most 10 devices, and every
# FCM call times out after 10 s: backend/common/firebase_app.py), so a row still `sending` after this was abandoned
# (the worker died) and may be claimed again; the re-send carries the same collapse key and tag, so the phone
# shows it once.
CLAIM_LEASE = timedelta(minutes=2)
SWEEP_BATCH = 500


def backoff_seconds(
    attempt: int,
    *,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    rand: Callable[[], float] = random.random,
) -> float:
    """Wait before retry after failed attempt number `attempt` (1-based).

    Exponential and capped, d = min(cap, base * 2**(attempt-1)), with "equal jitter": uniform in [d/2, d], so
    a burst of failures spreads out but no retry comes sooner than half the nominal delay.
    """
    nominal = min(cap, base * 2 ** max(0, attempt - 1))
    return nominal / 2 + rand() * nominal / 2


def _finish(row_id: uuid.UUID, state: str, error: str = "", **fields: object) -> None:
    # Only the claimant (state still `sending`) may settle the row.
    Notification.objects.filter(id=row_id, push_state=PushState.SENDING).update(
        push_state=state, push_last_error=error[:200], **fields
    )


def _deliver(row: Notification) -> str:
    """Send a claimed row and settle it; returns the new push state."""
    now = timezone.now()
    if not settings.PUSH_ENABLED:
        _finish(row.id, PushState.SKIPPED, "push_disabled")
        return PushState.SKIPPED
    ttl = None
    if row.ttl_seconds is not None:
        # An offer's push is useless after its SLA: FCM gets what is left of the TTL, none left means skip.
        ttl = int(row.ttl_seconds - (now - row.created_at).total_seconds())
        if ttl <= 0:
            _finish(row.id, PushState.SKIPPED, "expired")
            return PushState.SKIPPED
    tokens = list(Device.objects.filter(user_id=row.recipient_id).values_list("token", flat=True))
    if not tokens:
        _finish(row.id, PushState.SKIPPED, "no_device")
        return PushState.SKIPPED
    with translation.override(row.recipient.language or "id"):
        title, body = texts.render_push(row.kind)
    data = {**row.data, "notification_id": str(row.id), "kind": row.kind}
    result = push.send_to_tokens(tokens, title, body, data, row.priority, ttl, collapse_id=str(row.id))
    devices_delete_tokens(tokens=result.dead)
    error = ",".join(sorted(set(result.errors.values())))
    if result.sent:
        _finish(row.id, PushState.SENT, error, pushed_at=timezone.now())
        return PushState.SENT
    if result.should_retry and row.push_attempts < MAX_ATTEMPTS:
        delay = max(backoff_seconds(row.push_attempts), result.retry_after_seconds or 0.0)
        _finish(row.id, PushState.PENDING, error, push_next_attempt_at=now + timedelta(seconds=delay))
        return PushState.PENDING
    _finish(row.id, PushState.FAILED, error)
    return PushState.FAILED


@shared_task(name="notifications.tasks.push_notification", acks_late=True, ignore_result=True)
def push_notification(notification_id: str) -> str:
    """Push one notification if it is still due; a no-op for rows already sent, settled or taken."""
    now = timezone.now()
    claimable = Q(push_state=PushState.PENDING) | Q(push_state=PushState.SENDING)
    claimed = Notification.objects.filter(
        claimable, id=notification_id, push_next_attempt_at__lte=now
    ).update(
        push_state=PushState.SENDING,
        push_next_attempt_at=now + CLAIM_LEASE,
        push_attempts=F("push_attempts") + 1,
    )
    if not claimed:
        return "not_claimed"
    row = Notification.objects.select_related("recipient").get(id=notification_id)
    return _deliver(row)


@shared_task(name="notifications.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox(limit: int = SWEEP_BATCH) -> int:
    """Publish a push task for every due row (retry time reached, or never published); returns how many."""
    due = list(
        Notification.objects.filter(
            push_state__in=[PushState.PENDING, PushState.SENDING],
            push_next_attempt_at__lte=timezone.now(),
        )
        .order_by("push_next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    published = 0
    for row_id in due:
        try:
            push_notification.apply_async(kwargs={"notification_id": str(row_id)}, retry=False)
        except Exception:  # broker still down: the next sweep tries again
            logger.warning("outbox sweep: broker unreachable after %d of %d", published, len(due))
            break
        published += 1
    return published


@shared_task(name="notifications.tasks.prune_stale_devices", ignore_result=True)
def prune_stale_devices() -> int:
    """Delete devices the app has not refreshed for 60 days."""
    return devices_prune_stale(unused_for=timedelta(days=60))


# --- The second channel (WhatsApp, SMS): the same outbox discipline for ChannelMessage rows -----------------
# (notifications/channels/outbox.py has the rows' states.) A lower cap than push, so a message goes out soon
# after a gateway comes back: 8 attempts ride out an outage of about 25 to 45 minutes (the jitter), and a
# message whose offer deadline or digest day passed meanwhile is skipped as expired anyway.
CHANNEL_MAX_ATTEMPTS = 8
CHANNEL_BACKOFF_CAP_SECONDS = 900.0


def channel_message_publish(message_id: uuid.UUID | str) -> bool:
    """Hand a message to Celery; with the broker down it stays due and the sweep publishes it later."""
    try:
        send_channel_message.apply_async(kwargs={"message_id": str(message_id)}, retry=False)
    except Exception:  # kombu/redis raise many kinds; any of them means "the sweep will do it"
        logger.warning("channel message %s not published; the second-channel sweep will retry", message_id)
        return False
    return True


def _deliver_channel(row: ChannelMessage) -> str:
    """Send a claimed message and settle it; returns its new state. Never raises for the provider."""
    state = ChannelMessageState
    now = timezone.now()
    reason = outbox.skip_reason(row, now=now)
    if reason is not None:
        if outbox.finish(row.id, state.SKIPPED, reason) and reason in outbox.PASS_ON:
            _fall_back(row)  # this channel is closed to them now; the next one they chose is not
        return state.SKIPPED
    result = channel(row.channel).send(outbox.outgoing(row))
    if result.sent:
        outbox.finish(
            row.id, state.SENT, provider_message_id=result.provider_message_id, sent_at=timezone.now()
        )
        return state.SENT
    if result.should_retry and row.attempts < CHANNEL_MAX_ATTEMPTS:
        delay = max(
            backoff_seconds(row.attempts, cap=CHANNEL_BACKOFF_CAP_SECONDS), result.retry_after_seconds or 0.0
        )
        outbox.finish(
            row.id, state.PENDING, result.error_code, next_attempt_at=now + timedelta(seconds=delay)
        )
        return state.PENDING
    if outbox.finish(row.id, state.FAILED, result.error_code):
        _fall_back(row)  # failed for good on this channel
    return state.FAILED


def _fall_back(row: ChannelMessage) -> None:
    """The next channel the person opted in to, if any, gets a message of its own about the same event."""
    fallback = outbox.message_create(
        recipient=row.recipient,
        kind=row.kind,
        event_key=row.event_key,
        notification=row.notification,
        expires_at=row.expires_at,
        after=row.channel,
    )
    if fallback is not None:
        transaction.on_commit(partial(channel_message_publish, fallback.id))


@shared_task(name="notifications.tasks.send_channel_message", acks_late=True, ignore_result=True)
def send_channel_message(message_id: str) -> str:
    """Send one WhatsApp/SMS message if it is still due; a no-op for rows already sent, settled or taken."""
    if not outbox.claim(message_id, lease=CLAIM_LEASE):
        return "not_claimed"
    row = ChannelMessage.objects.select_related("recipient", "notification").get(id=message_id)
    return _deliver_channel(row)


@shared_task(name="notifications.tasks.sweep_second_channel", ignore_result=True)
def sweep_second_channel(limit: int = SWEEP_BATCH) -> int:
    """Beat, every minute: give each urgent notification left unopened its second-channel message, then
    publish every due message (new ones, retries whose time came, ones made while the broker was down).
    Returns how many were published."""
    urgent.urgent_escalate(now=timezone.now(), limit=limit)
    due = outbox.due_ids(limit=limit)
    published = 0
    for message_id in due:
        if not channel_message_publish(message_id):
            break  # broker still down: the next sweep tries again
        published += 1
    return published
