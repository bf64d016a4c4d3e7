"""The second channel's outbox worker (notifications.tasks.send_channel_message) against the fakes: a 429 waits
its Retry-After, a 5xx backs off with jitter and fails after CHANNEL_MAX_ATTEMPTS, a refusal is not retried,
an unreachable gateway leaves the message pending for the sweep and raises into no one, a claimed message is
sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications import tasks
from notifications.channels import outbox
from notifications.models import ChannelMessage, ChannelMessageState, ChannelPreference
from notifications.services import channel_preference_set
from tests.fakes import sms as gateway
from tests.fakes import whatsapp as cloud
from tests.fakes.sms import sms_fake, unreachable_url  # noqa: F401 (the `sms` fixture)
from tests.fakes.whatsapp import whatsapp_fake  # noqa: F401 (the `whatsapp` fixture)

State = ChannelMessageState
START = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def message_for(user, *, whatsapp=False, sms=False, event_key="urgent:test") -> ChannelMessage:
    channel_preference_set(user=user, whatsapp=whatsapp, sms=sms)
    row = outbox.message_create(recipient=user, kind="urgent_offer_unanswered", event_key=event_key)
    assert row is not None
    return row


def send(row: ChannelMessage) -> str:
    return tasks.send_channel_message(message_id=str(row.id))


def fresh(row: ChannelMessage) -> ChannelMessage:
    row.refresh_from_db()
    return row


def test_a_429_waits_its_retry_after_and_the_sweep_sends_it_then(cast, whatsapp, clock, eager_celery):
    whatsapp.answer(cloud.rate_limited(retry_after=600))
    row = message_for(cast.counselor_near, whatsapp=True)
    assert send(row) == State.PENDING
    row = fresh(row)
    assert (row.attempts, row.last_error, row.next_attempt_at) == (
        1,
        "WA_130429",
        START + timedelta(seconds=600),
    )

    clock.move_to(START + timedelta(seconds=599))
    assert tasks.sweep_second_channel() == 0
    assert send(row) == "not_claimed"  # an early duplicate task does nothing
    clock.move_to(START + timedelta(seconds=600))
    assert tasks.sweep_second_channel() == 1
    row = fresh(row)
    assert (row.state, row.attempts, row.last_error, len(whatsapp.sends())) == (State.SENT, 2, "", 2)


def test_a_sms_gateway_429_with_retry_after_is_honoured_too(cast, sms, clock):
    sms.answer(gateway.rate_limited(retry_after=120))
    row = message_for(cast.counselor_near, sms=True)
    assert send(row) == State.PENDING
    assert fresh(row).next_attempt_at == START + timedelta(seconds=120)


def test_a_500_backs_off_with_jitter_then_fails_after_max_attempts(cast, whatsapp, clock, eager_celery):
    whatsapp.answer(*[cloud.server_error()] * tasks.CHANNEL_MAX_ATTEMPTS)
    row = message_for(cast.counselor_near, whatsapp=True)
    for attempt in range(1, tasks.CHANNEL_MAX_ATTEMPTS):
        assert (send(row) if attempt == 1 else tasks.sweep_second_channel()) in (State.PENDING, 1)
        row = fresh(row)
        nominal = min(tasks.CHANNEL_BACKOFF_CAP_SECONDS, tasks.BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        wait = (row.next_attempt_at - timezone.now()).total_seconds()
        assert (row.state, row.attempts, row.last_error) == (State.PENDING, attempt, "WA_131000")
        assert nominal / 2 <= wait <= nominal
        clock.move_to(row.next_attempt_at)
    assert tasks.sweep_second_channel() == 1  # the last attempt
    row = fresh(row)
    assert (row.state, row.attempts, row.last_error) == (
        State.FAILED,
        tasks.CHANNEL_MAX_ATTEMPTS,
        "WA_131000",
    )
    assert len(whatsapp.sends()) == tasks.CHANNEL_MAX_ATTEMPTS
    clock.move_to(START + timedelta(days=1))
    assert tasks.sweep_second_channel() == 0  # failed is final


def test_a_permanent_error_is_not_retried(cast, whatsapp, clock, eager_celery):
    whatsapp.answer(cloud.template_missing())
    row = message_for(cast.counselor_near, whatsapp=True)
    assert send(row) == State.FAILED
    row = fresh(row)
    assert (row.attempts, row.last_error) == (1, "WA_132001")
    clock.move_to(START + timedelta(hours=1))
    assert tasks.sweep_second_channel() == 0 and len(whatsapp.sends()) == 1


def test_an_unreachable_gateway_leaves_the_message_pending_and_raises_into_no_one(cast, sms, clock, settings):
    settings.SMS_GATEWAY_URL = unreachable_url("/v1/messages")  # nothing listens there
    row = message_for(cast.counselor_near, sms=True)
    assert send(row) == State.PENDING  # the task returns normally
    row = fresh(row)
    assert (row.state, row.attempts, row.last_error) == (State.PENDING, 1, "ConnectError")
    assert row.next_attempt_at > START

    settings.SMS_GATEWAY_URL = sms.url  # the gateway is back
    clock.move_to(row.next_attempt_at)
    assert send(row) == State.SENT
    assert [b["reference"] for b in sms.messages()] == [str(row.id)]


def test_an_unreachable_gateway_under_the_sweep_raises_nothing(cast, sms, clock, settings, eager_celery):
    settings.SMS_GATEWAY_URL = unreachable_url("/v1/messages")
    row = message_for(cast.counselor_near, sms=True)
    for minute in range(0, 20, 2):  # every sweep of a long outage: retries wait their backoff, none raises
        clock.move_to(START + timedelta(minutes=minute))
        tasks.sweep_second_channel()
    row = fresh(row)
    assert row.state == State.PENDING and 1 < row.attempts < tasks.CHANNEL_MAX_ATTEMPTS


def test_a_sent_message_is_never_sent_again(cast, whatsapp, eager_celery):
    row = message_for(cast.counselor_near, whatsapp=True)
    assert send(row) == State.SENT
    assert send(row) == "not_claimed"
    assert tasks.sweep_second_channel() == 0 and len(whatsapp.sends()) == 1


def test_a_message_left_sending_by_a_dead_worker_is_taken_again_after_its_lease(cast, whatsapp, clock):
    row = message_for(cast.counselor_near, whatsapp=True)
    ChannelMessage.objects.filter(id=row.id).update(
        state=State.SENDING, next_attempt_at=START + tasks.CLAIM_LEASE, attempts=1
    )
    assert send(row) == "not_claimed"  # still leased to the (maybe living) worker
    clock.move_to(START + tasks.CLAIM_LEASE)
    assert send(row) == State.SENT
    assert fresh(row).attempts == 2


def test_opting_out_stops_what_waits(cast, whatsapp):
    row = message_for(cast.counselor_near, whatsapp=True)
    channel_preference_set(user=cast.counselor_near, whatsapp=False)
    row = fresh(row)
    assert (row.state, row.last_error) == (State.SKIPPED, "opted_out")
    assert send(row) == "not_claimed" and whatsapp.received == []


def test_an_opt_out_seen_only_when_sending_skips_too(cast, whatsapp):
    row = message_for(cast.counselor_near, whatsapp=True)
    ChannelPreference.objects.filter(user=cast.counselor_near).update(whatsapp_opt_in=False)
    assert send(row) == State.SKIPPED
    assert (fresh(row).last_error, whatsapp.received) == ("opted_out", [])


def test_a_message_past_its_expiry_is_skipped(cast, whatsapp, clock):
    row = message_for(cast.counselor_near, whatsapp=True)
    ChannelMessage.objects.filter(id=row.id).update(expires_at=START + timedelta(minutes=5))
    clock.move_to(START + timedelta(minutes=5))
    assert send(row) == State.SKIPPED
    assert (fresh(row).last_error, whatsapp.received) == ("expired", [])


def test_a_channel_switched_off_in_settings_skips_its_messages(cast, whatsapp, settings):
    row = message_for(cast.counselor_near, whatsapp=True)
    settings.NOTIFY_SECOND_CHANNELS, settings.NOTIFY_CHANNELS = ["sms"], ["push", "sms"]
    assert send(row) == State.SKIPPED
    assert (fresh(row).last_error, whatsapp.received) == ("channel_off", [])


def test_a_channel_closed_before_sending_passes_the_message_on_to_the_next_one(
    cast, whatsapp, sms, django_capture_on_commit_callbacks, eager_celery
):
    row = message_for(cast.counselor_near, whatsapp=True, sms=True)
    ChannelPreference.objects.filter(user=cast.counselor_near).update(whatsapp_opt_in=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert send(row) == State.SKIPPED
    sms_row = ChannelMessage.objects.get(channel="sms")
    assert (sms_row.state, sms_row.event_key, whatsapp.received) == (State.SENT, row.event_key, [])
    assert len(sms.messages()) == 1
