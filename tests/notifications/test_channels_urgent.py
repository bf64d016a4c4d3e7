"""An urgent offer left unopened reaches its recipient a second way: the sweep (notifications.tasks.
sweep_second_channel) against the fake WhatsApp Cloud API and SMS gateway, with the real pywa and HTTP code.

Exactly one neutral message per offer, on the first channel the person opted in to (WhatsApp, then SMS), SMS
when WhatsApp fails for good; nothing for those who opted in to nothing, for an offer opened, answered or
past its deadline; nothing twice on a rerun.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications import tasks
from notifications.channels import urgent
from notifications.models import ChannelMessage, ChannelMessageState, Notification
from notifications.services import channel_preference_set, notification_settle, notify
from tests.fakes import whatsapp as cloud
from tests.fakes.sms import sms_fake  # noqa: F401 (the `sms` fixture)
from tests.fakes.whatsapp import whatsapp_fake  # noqa: F401 (the `whatsapp` fixture)

State = ChannelMessageState
START = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
NEUTRAL = "Ada tugas mendesak di Pulih. Buka aplikasi."


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def channels(whatsapp, sms, eager_celery):
    """Both second channels configured against their fakes; published tasks run inline."""
    return whatsapp, sms


def offer(user, event_key="offer:1", ttl_seconds=7200, **kw) -> Notification:
    params = {"client_code": "KTG-0042", "deadline": START + timedelta(seconds=ttl_seconds)}
    return notify(
        recipient=user,
        kind=kw.pop("kind", "escalation_offered"),
        event_key=event_key,
        params=params,
        data={"escalation_id": "5b3f0d4e-0000-4000-8000-000000000001", "offer_id": "17"},
        priority=kw.pop("priority", "high"),
        ttl_seconds=ttl_seconds,
    )


def sweep_after(clock, minutes: float) -> int:
    clock.move_to(START + timedelta(minutes=minutes))
    return tasks.sweep_second_channel()


def test_unopened_for_15_minutes_one_whatsapp_message_with_nothing_of_the_client(cast, channels, clock):
    whatsapp, sms = channels
    user = cast.counselor_near
    channel_preference_set(user=user, whatsapp=True, sms=True)
    row = offer(user)

    assert sweep_after(clock, 14) == 0
    assert whatsapp.received == []
    assert sweep_after(clock, 15) == 1

    (message,) = whatsapp.templates()
    assert message["to"] == user.phone.lstrip("+")
    assert message["template"] == {"name": "pulih_tugas_mendesak", "language": {"code": "id"}}
    received = whatsapp.everything_received()
    for secret in ("KTG-0042", row.body, row.title, "5b3f0d4e", str(row.id)):
        assert secret not in received
    assert sms.received == []
    (sent,) = ChannelMessage.objects.all()
    assert (sent.channel, sent.kind, sent.state, sent.attempts) == (
        "whatsapp",
        "urgent_offer_unanswered",
        "sent",
        1,
    )
    assert (sent.notification_id, sent.provider_message_id, sent.sent_at) == (
        row.id,
        "wamid.FAKE000001",
        START + timedelta(minutes=15),
    )
    assert sent.expires_at == row.created_at + timedelta(seconds=7200)


def test_rerunning_the_sweep_creates_and_sends_nothing_twice(cast, channels, clock):
    whatsapp, _sms = channels
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    offer(cast.counselor_near)
    assert sweep_after(clock, 15) == 1
    for minutes in (16, 17, 30):
        assert sweep_after(clock, minutes) == 0
    assert ChannelMessage.objects.count() == 1 and len(whatsapp.sends()) == 1


def test_the_wait_is_a_setting(cast, channels, clock, settings):
    settings.URGENT_OFFER_SECOND_CHANNEL_MINUTES = 5
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    offer(cast.counselor_near)
    assert sweep_after(clock, 4) == 0
    assert sweep_after(clock, 5) == 1


def test_those_who_opted_in_to_nothing_get_nothing(cast, channels, clock):
    whatsapp, sms = channels
    channel_preference_set(user=cast.counselor_far, whatsapp=False, sms=False)
    offer(cast.counselor_near)  # no preference at all
    offer(cast.counselor_far)  # opted out of both
    assert sweep_after(clock, 20) == 0
    assert (whatsapp.received, sms.received, ChannelMessage.objects.count()) == ([], [], 0)


def test_an_opened_offer_is_not_followed_up(cast, channels, clock):
    whatsapp, _sms = channels
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    row = offer(cast.counselor_near)
    clock.move_to(START + timedelta(minutes=3))
    Notification.objects.filter(id=row.id).update(read_at=timezone.now())
    assert sweep_after(clock, 15) == 0
    assert whatsapp.received == []


def test_an_offer_opened_after_the_message_was_made_but_before_it_went_is_skipped(cast, whatsapp, clock):
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    row = offer(cast.counselor_near)
    clock.move_to(START + timedelta(minutes=15))
    urgent.urgent_escalate(now=timezone.now())  # the message is made; no worker has taken it yet
    Notification.objects.filter(id=row.id).update(read_at=timezone.now())
    message = ChannelMessage.objects.get()
    assert tasks.send_channel_message(message_id=str(message.id)) == State.SKIPPED
    message.refresh_from_db()
    assert (message.state, message.last_error, whatsapp.received) == (State.SKIPPED, "opened", [])


def test_an_answered_offer_is_not_followed_up(cast, channels, clock):
    whatsapp, _sms = channels
    channel_preference_set(user=cast.counselor_near, whatsapp=True, sms=True)
    offer(cast.counselor_near, event_key="offer:17")
    clock.move_to(START + timedelta(minutes=5))
    notification_settle(recipient_id=cast.counselor_near.id, event_key="offer:17")  # what escalations calls
    assert sweep_after(clock, 15) == 0
    assert whatsapp.received == []
    assert set(ChannelMessage.objects.values_list("channel", "state", "last_error")) == {
        ("whatsapp", "skipped", "settled"),
        ("sms", "skipped", "settled"),
    }


def test_settling_skips_a_message_still_waiting(cast, whatsapp, clock):
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    offer(cast.counselor_near, event_key="offer:18")
    clock.move_to(START + timedelta(minutes=15))
    urgent.urgent_escalate(now=timezone.now())  # made, not yet sent
    assert notification_settle(recipient_id=cast.counselor_near.id, event_key="offer:18") == 1
    assert ChannelMessage.objects.get(channel="whatsapp").state == State.SKIPPED
    assert tasks.sweep_second_channel() == 0 and whatsapp.received == []


def test_settling_an_unknown_or_normal_notification_does_nothing(cast):
    assert notification_settle(recipient_id=cast.counselor_near.id, event_key="offer:none") == 0
    notify(
        recipient=cast.counselor_near,
        kind="escalation_accepted",
        event_key="e:1",
        params={"client_code": "X"},
    )
    assert notification_settle(recipient_id=cast.counselor_near.id, event_key="e:1") == 0
    assert ChannelMessage.objects.count() == 0


def test_past_its_deadline_an_offer_is_not_followed_up(cast, channels, clock):
    whatsapp, _sms = channels
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    offer(cast.counselor_near, ttl_seconds=10 * 60)  # the offer expired before the 15 minutes
    assert sweep_after(clock, 15) == 0
    assert whatsapp.received == []


@pytest.mark.parametrize("kw", [{"priority": "normal"}, {"kind": "escalation_offer_expired"}])
def test_only_urgent_offers_are_followed_up(cast, channels, clock, kw):
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    offer(cast.counselor_near, **kw)
    assert sweep_after(clock, 30) == 0


def test_sms_for_those_who_chose_sms_only_in_their_language(cast, channels, clock):
    whatsapp, sms = channels
    user = cast.counselor_near
    user.language = "en"
    user.save()
    channel_preference_set(user=user, sms=True)
    offer(user)
    assert sweep_after(clock, 15) == 1
    assert whatsapp.received == []
    (body,) = sms.messages()
    assert (body["to"], body["text"]) == (user.phone, "You have an urgent task in Pulih. Open the app.")
    assert "KTG-0042" not in sms.everything_received()


def test_sms_when_whatsapp_fails_for_good(cast, channels, clock, django_capture_on_commit_callbacks):
    whatsapp, sms = channels
    user = cast.counselor_near
    channel_preference_set(user=user, whatsapp=True, sms=True)
    whatsapp.answer(cloud.undeliverable(user.phone))  # the number has no WhatsApp
    offer(user)
    with django_capture_on_commit_callbacks(execute=True):  # the SMS is published once the failure commits
        sweep_after(clock, 15)
    rows = {m.channel: m for m in ChannelMessage.objects.all()}
    assert (rows["whatsapp"].state, rows["whatsapp"].last_error) == (State.FAILED, "WA_131026")
    assert (rows["sms"].state, rows["sms"].event_key) == (State.SENT, rows["whatsapp"].event_key)
    assert [b["text"] for b in sms.messages()] == [NEUTRAL]
    # The Cloud API's error text named the number; the record keeps the code only.
    stored = json.dumps(list(ChannelMessage.objects.values("last_error", "provider_message_id")))
    assert user.phone.lstrip("+") not in stored
    assert sweep_after(clock, 40) == 0 and len(sms.messages()) == 1


def test_a_channel_not_configured_is_passed_over(cast, channels, clock, settings):
    whatsapp, sms = channels
    settings.WHATSAPP_TOKEN = None
    channel_preference_set(user=cast.counselor_near, whatsapp=True, sms=True)
    offer(cast.counselor_near)
    assert sweep_after(clock, 15) == 1
    assert (whatsapp.received, len(sms.messages())) == ([], 1)


def test_the_order_of_channels_is_a_setting(cast, channels, clock, settings):
    whatsapp, sms = channels
    settings.NOTIFY_SECOND_CHANNELS = ["sms", "whatsapp"]
    settings.NOTIFY_CHANNELS = ["push", "sms", "whatsapp"]
    channel_preference_set(user=cast.counselor_near, whatsapp=True, sms=True)
    offer(cast.counselor_near)
    sweep_after(clock, 15)
    assert (whatsapp.received, len(sms.messages())) == ([], 1)


def test_an_inactive_account_gets_nothing(cast, channels, clock):
    whatsapp, _sms = channels
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    offer(cast.counselor_near)
    cast.counselor_near.is_active = False
    cast.counselor_near.save()
    assert sweep_after(clock, 15) == 0 and whatsapp.received == []


def test_a_message_made_while_the_offer_was_being_answered_is_not_sent(cast, whatsapp, clock):
    """A sweep and an answer racing: settle's UPDATE missed the sweep's row, its placeholder stood in beside it."""
    channel_preference_set(user=cast.counselor_near, whatsapp=True, sms=True)
    offer(cast.counselor_near, event_key="offer:19")
    clock.move_to(START + timedelta(minutes=15))
    urgent.urgent_escalate(now=timezone.now())
    pending = ChannelMessage.objects.get(channel="whatsapp")
    ChannelMessage.objects.create(
        recipient=cast.counselor_near,
        channel="sms",
        kind=pending.kind,
        event_key=pending.event_key,
        notification_id=pending.notification_id,
        state=State.SKIPPED,
        last_error="settled",
    )
    assert tasks.send_channel_message(message_id=str(pending.id)) == State.SKIPPED
    pending.refresh_from_db()
    assert (pending.last_error, whatsapp.received) == ("settled", [])
