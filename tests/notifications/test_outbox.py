"""The push outbox: push_notification claims, sends through the fake FCM, and settles each row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications import tasks
from notifications.models import Device, Notification, PushState
from notifications.services import notify
from tests.fakes import fcm as answers

DEADLINE = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)


def offer(cast, recipient=None, event_key="offer:1", ttl_seconds=7200):
    return notify(
        recipient=recipient or cast.counselor_near,
        kind="escalation_offered",
        event_key=event_key,
        params={"client_code": "KTG-0042", "deadline": DEADLINE},
        data={"escalation_id": "5b3f0d4e-0000-4000-8000-000000000001", "offer_id": 17},
        priority="high",
        ttl_seconds=ttl_seconds,
    )


def push(row: Notification) -> str:
    return tasks.push_notification(notification_id=str(row.id))


def state(row: Notification) -> Notification:
    row.refresh_from_db()
    return row


def test_it_pushes_a_generic_text_and_ids_only(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-near")
    row = offer(cast)
    assert push(row) == PushState.SENT
    (message,) = fcm.sent_to("tok-near")
    assert message["notification"] == {
        "title": "Tawaran kasus baru",
        "body": "Buka aplikasi Pulih untuk menjawab tawaran sebelum batas waktu.",
    }
    assert message["data"] == {
        "escalation_id": "5b3f0d4e-0000-4000-8000-000000000001",
        "offer_id": "17",
        "notification_id": str(row.id),
        "kind": "escalation_offered",
    }
    assert message["android"]["priority"] == "high"
    assert 7100 <= int(message["android"]["ttl"].rstrip("s")) <= 7200
    posted = json.dumps(fcm.messages)
    for secret in ("KTG-0042", cast.counselor_near.name, cast.counselor_near.phone):
        assert secret not in posted  # the inbox text stays on our server
    row = state(row)
    assert (row.push_state, row.push_attempts, row.pushed_at is not None) == (PushState.SENT, 1, True)


def test_it_sends_to_every_device_of_the_recipient_and_no_one_else(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-phone")
    phone_of(cast.counselor_near, "tok-tablet")
    phone_of(cast.counselor_far, "tok-far")
    push(offer(cast))
    assert sorted(m["message"]["token"] for m in fcm.messages) == ["tok-phone", "tok-tablet"]


def test_a_sent_notification_is_never_sent_again(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-near")
    row = offer(cast)
    push(row)
    assert push(row) == "not_claimed"
    assert tasks.sweep_outbox() == 0
    assert fcm.fcm_requests == 1


def test_a_user_without_a_device_is_skipped(cast, fcm):
    row = offer(cast)
    assert push(row) == PushState.SKIPPED
    assert state(row).push_last_error == "no_device" and fcm.fcm_requests == 0


def test_with_push_disabled_it_is_skipped(cast, fcm, phone_of, settings):
    settings.PUSH_ENABLED = False
    phone_of(cast.counselor_near, "tok-near")
    row = offer(cast)
    assert push(row) == PushState.SKIPPED and fcm.fcm_requests == 0


def test_an_offer_whose_ttl_ran_out_is_not_pushed(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-near")
    row = offer(cast, ttl_seconds=60)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert push(row) == PushState.SKIPPED
    assert state(row).push_last_error == "expired" and fcm.fcm_requests == 0


def test_an_unregistered_token_deletes_the_device(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-gone")
    fcm.answer("tok-gone", answers.unregistered())
    row = offer(cast)
    assert push(row) == PushState.FAILED
    assert not Device.objects.filter(token="tok-gone").exists()
    assert state(row).push_last_error == "UNREGISTERED"


def test_a_dead_token_next_to_a_live_one_is_pruned_and_the_push_counts_as_sent(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-old")
    phone_of(cast.counselor_near, "tok-new")
    fcm.answer("tok-old", answers.invalid_token())
    assert push(offer(cast)) == PushState.SENT
    assert list(Device.objects.values_list("token", flat=True)) == ["tok-new"]


def test_an_invalid_message_fails_at_once_and_keeps_the_device(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-near")
    fcm.answer("tok-near", answers.invalid_message())
    row = offer(cast)
    assert push(row) == PushState.FAILED
    assert state(row).push_attempts == 1 and Device.objects.filter(token="tok-near").exists()
    assert tasks.sweep_outbox() == 0  # no retry


def test_quota_exceeded_reschedules_at_least_60_seconds_later(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-near")
    fcm.answer("tok-near", answers.quota_exceeded())
    row = offer(cast)
    before = timezone.now()
    assert push(row) == PushState.PENDING
    row = state(row)
    assert row.push_next_attempt_at >= before + timedelta(seconds=60)
    assert (row.push_attempts, row.push_last_error) == (1, "QUOTA_EXCEEDED")


@pytest.mark.parametrize("answer", [answers.internal(), answers.unavailable()])
def test_a_5xx_reschedules_with_jittered_backoff(cast, fcm, phone_of, answer):
    phone_of(cast.counselor_near, "tok-near")
    fcm.answer("tok-near", answer)
    row = offer(cast)
    before = timezone.now()
    assert push(row) == PushState.PENDING
    wait = (state(row).push_next_attempt_at - before).total_seconds()
    assert tasks.BACKOFF_BASE_SECONDS / 2 - 1 <= wait <= tasks.BACKOFF_BASE_SECONDS + 1
    assert fcm.fcm_requests == 1  # no hidden in-request retries


def test_a_503_with_retry_after_waits_that_long(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-near")
    fcm.answer("tok-near", answers.unavailable(retry_after=600))
    row = offer(cast)
    before = timezone.now()
    push(row)
    assert state(row).push_next_attempt_at >= before + timedelta(seconds=600)


def test_a_retry_is_not_sent_before_its_time_and_is_sent_by_the_sweep_after(
    cast, fcm, phone_of, eager_celery
):
    phone_of(cast.counselor_near, "tok-near")
    fcm.answer("tok-near", answers.internal())
    row = offer(cast)
    push(row)
    assert tasks.sweep_outbox() == 0
    assert push(row) == "not_claimed"  # an early duplicate task does nothing
    with time_machine.travel(state(row).push_next_attempt_at + timedelta(seconds=1)):
        assert tasks.sweep_outbox() == 1
    row = state(row)
    assert (row.push_state, row.push_attempts, fcm.fcm_requests) == (PushState.SENT, 2, 2)


def test_it_gives_up_after_max_attempts(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-near")
    fcm.answer("tok-near", answers.unavailable())
    row = offer(cast)
    Notification.objects.filter(id=row.id).update(push_attempts=tasks.MAX_ATTEMPTS - 1)
    assert push(row) == PushState.FAILED
    assert state(row).push_attempts == tasks.MAX_ATTEMPTS


def test_a_row_left_sending_by_a_dead_worker_is_claimed_again_after_its_lease(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-near")
    row = offer(cast)
    Notification.objects.filter(id=row.id).update(
        push_state=PushState.SENDING, push_next_attempt_at=timezone.now() + tasks.CLAIM_LEASE
    )
    assert push(row) == "not_claimed"  # still leased to the (maybe living) worker
    with time_machine.travel(timezone.now() + tasks.CLAIM_LEASE + timedelta(seconds=1)):
        assert push(row) == PushState.SENT


def test_stale_devices_are_pruned_after_60_days(cast, phone_of):
    phone_of(cast.counselor_near, "tok-old")
    with time_machine.travel(timezone.now() + timedelta(days=59)):
        phone_of(cast.counselor_far, "tok-recent")
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        assert tasks.prune_stale_devices() == 1
    assert list(Device.objects.values_list("token", flat=True)) == ["tok-recent"]


def test_a_resend_after_a_worker_died_replaces_the_copy_on_the_phone(cast, fcm, phone_of):
    """Fault: a worker killed mid-push re-sent after its lease; at-least-once is right, but the phone showed the
    notification twice. Both sends now carry the notification's id as FCM collapse key and Android tag."""
    phone_of(cast.counselor_near, "tok-near")
    row = offer(cast)
    assert push(row) == PushState.SENT
    # The worker that sent it died before settling the row: it is still `sending`, its lease ran out.
    Notification.objects.filter(id=row.id).update(
        push_state=PushState.SENDING, push_next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    assert push(row) == PushState.SENT

    first, second = fcm.sent_to("tok-near")
    for message in (first, second):
        assert message["android"]["collapse_key"] == str(row.id)
        assert message["android"]["notification"] == {"tag": str(row.id)}


def test_a_row_left_sending_is_taken_again_after_two_minutes_not_ten(cast, fcm, phone_of):
    phone_of(cast.counselor_near, "tok-near")
    row = offer(cast)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        # Claimed by a worker that then died: `sending`, leased for CLAIM_LEASE from now.
        Notification.objects.filter(id=row.id).update(
            push_state=PushState.SENDING, push_next_attempt_at=timezone.now() + tasks.CLAIM_LEASE
        )
        clock.shift(timedelta(seconds=119))
        assert push(row) == "not_claimed"
        clock.shift(timedelta(seconds=2))
        assert push(row) == PushState.SENT
