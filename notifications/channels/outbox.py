"""The second channel's outbox: ChannelMessage rows, made once per (recipient, channel, event), and the rules
the worker (notifications.tasks.send_channel_message) applies to them.

Which channel: the first of NOTIFY_SECOND_CHANNELS (default whatsapp, then sms) that is configured and that
the recipient opted in to (ChannelPreference); when a message fails for good on one channel, the next such
channel gets a message of its own for the same event (`after=`). Nobody who opted in to nothing, is
inactive or has no phone number gets anything.

A ChannelMessage's states:

    pending --claim--> sending --sent-------------------> sent
       ^                  |----transient, attempts left--> pending (next_attempt_at: backoff / Retry-After)
       |                  |----permanent, or no attempts--> failed   (then the next channel, if any)
       |                  '----not to be sent any more----> skipped  (opened, settled, expired, opted out)
       '-- a `sending` row whose lease ran out (its worker died) is claimed again
    pending --settled (the offer was answered) or opted out--> skipped

Only the claimant of a row (state still `sending`) settles it, as in the push outbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from backend.accounts.models import User
from notifications import texts
from notifications.channels import SECOND_CHANNEL_NAMES, OutgoingMessage, second_channels
from notifications.models import ChannelMessage, ChannelMessageState, ChannelPreference, Notification

State = ChannelMessageState
URGENT_KIND = "urgent_offer_unanswered"  # the message about an urgent notification left unopened
# Skip reasons that close one channel only: the event passes on to the next channel the person chose.
PASS_ON = frozenset({"channel_off", "opted_out"})
EVENT_KEY_MAX = ChannelMessage._meta.get_field("event_key").max_length or 200


def usable_channels() -> list[str]:
    """Names of the second channels enabled and configured, in order of preference."""
    return [c.name for c in second_channels()]


def channel_for(*, user: User, after: str | None = None) -> str | None:
    """The first usable channel `user` opted in to (after channel `after`, when one failed); None if none."""
    if not user.is_active or not user.phone:
        return None
    preference = ChannelPreference.objects.filter(user=user).first()
    if preference is None:
        return None
    names = usable_channels()
    if after in names:
        names = names[names.index(after) + 1 :]  # (a channel switched off is simply not in the list)
    return next((name for name in names if preference.opted_in(name)), None)


def message_create(
    *,
    recipient: User,
    kind: str,
    event_key: str,
    notification: Notification | None = None,
    expires_at: datetime | None = None,
    after: str | None = None,
) -> ChannelMessage | None:
    """One pending message about `event_key` on the recipient's first usable channel (see channel_for).

    None when there is no such channel or the event already has a message on it: INSERT ... ON CONFLICT DO
    NOTHING on (recipient, channel, event_key), so reruns and racing sweeps make one row. The caller publishes
    the returned row after its transaction commits. An unknown kind is a ValueError."""
    texts.render_channel(kind)
    if not 0 < len(event_key) <= EVENT_KEY_MAX:
        raise ValueError(f"event_key must be 1-{EVENT_KEY_MAX} characters, got {len(event_key)}")
    name = channel_for(user=recipient, after=after)
    if name is None:
        return None
    row = ChannelMessage(
        recipient=recipient,
        channel=name,
        kind=kind,
        event_key=event_key,
        notification=notification,
        expires_at=expires_at,
    )
    ChannelMessage.objects.bulk_create([row], ignore_conflicts=True)
    if not ChannelMessage.objects.filter(id=row.id).exists():
        return None
    return row


def messages_settle(*, notification: Notification) -> int:
    """The event behind `notification` is over (the offer was answered): nothing more about it goes out on a
    second channel. Pending messages are skipped, and a `skipped` row per channel stands in for the ones not
    made yet, so the urgent sweep passes it over. A message being sent right now is left to finish."""
    now = timezone.now()
    with transaction.atomic():
        skipped = ChannelMessage.objects.filter(notification=notification, state=State.PENDING).update(
            state=State.SKIPPED, last_error="settled"
        )
        placeholders = [
            ChannelMessage(
                recipient_id=notification.recipient_id,
                channel=name,
                kind=URGENT_KIND,
                event_key=urgent_event_key(notification.id),
                notification=notification,
                state=State.SKIPPED,
                last_error="settled",
                next_attempt_at=now,
            )
            for name in SECOND_CHANNEL_NAMES
        ]
        ChannelMessage.objects.bulk_create(placeholders, ignore_conflicts=True)
    return skipped


def messages_skip_opted_out(*, user: User, channel: str) -> int:
    """The user opted out of `channel`: what still waits to go out on it does not."""
    return ChannelMessage.objects.filter(recipient=user, channel=channel, state=State.PENDING).update(
        state=State.SKIPPED, last_error="opted_out"
    )


def urgent_event_key(notification_id: uuid.UUID | str) -> str:
    return f"urgent:{notification_id}"


# --- the worker's side ------------------------------------------------------------------------------------


def claim(message_id: uuid.UUID | str, *, lease: timedelta) -> bool:
    """Take a due row (pending, or `sending` with its lease run out) with one conditional UPDATE."""
    now = timezone.now()
    claimable = Q(state=State.PENDING) | Q(state=State.SENDING)
    return bool(
        ChannelMessage.objects.filter(claimable, id=message_id, next_attempt_at__lte=now).update(
            state=State.SENDING, next_attempt_at=now + lease, attempts=F("attempts") + 1
        )
    )


def finish(message_id: uuid.UUID, state: str, error: str = "", **fields: object) -> bool:
    """Settle a claimed row; only the claimant (state still `sending`) can."""
    return bool(
        ChannelMessage.objects.filter(id=message_id, state=State.SENDING).update(
            state=state, last_error=error[:64], **fields
        )
    )


def skip_reason(row: ChannelMessage, *, now: datetime) -> str | None:
    """Why a claimed row must not be sent any more, or None to send it."""
    user = row.recipient
    if row.channel not in usable_channels():
        return "channel_off"
    if not user.is_active or not user.phone:
        return "no_recipient"
    preference = ChannelPreference.objects.filter(user=user).first()
    if preference is None or not preference.opted_in(row.channel):
        return "opted_out"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    if row.notification is not None and row.notification.read_at is not None:
        return "opened"
    if _settled(row):
        return "settled"
    return None


def _settled(row: ChannelMessage) -> bool:
    """Settled while this row was being made (a sweep and an answer racing): its siblings say so."""
    return ChannelMessage.objects.filter(
        recipient_id=row.recipient_id, event_key=row.event_key, state=State.SKIPPED, last_error="settled"
    ).exists()


def outgoing(row: ChannelMessage) -> OutgoingMessage:
    """What the channel sends: the neutral text of the kind in the recipient's language, to their number."""
    language = row.recipient.language or "id"
    with translation.override(language):
        text = texts.render_channel(row.kind)
    return OutgoingMessage(
        reference=str(row.id), to=(row.recipient.phone,), kind=row.kind, language=language, text=text
    )


def due_ids(*, limit: int) -> list[uuid.UUID]:
    """Rows whose (re)try time came: never published, retried later, or abandoned mid-send."""
    return list(
        ChannelMessage.objects.filter(
            state__in=[State.PENDING, State.SENDING], next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
