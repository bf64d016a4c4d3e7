"""FCM's faults as issue 12 lists them, where tests/notifications/test_outbox.py leaves a gap: a 429 whose
Retry-After is longer than FCM's 60-second floor is waited out in full (by the sweep, not only on the row), and a
token FCM declared dead is never sent to again, on any later notification of its user."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from notifications import tasks
from notifications.models import Device, PushState
from tests.fakes import fcm as answers
from tests.notifications.test_outbox import offer, push, state


def test_a_429_with_a_long_retry_after_is_not_retried_before_it(cast, fcm, phone_of, eager_celery):  # type: ignore[no-untyped-def]
    phone_of(cast.counselor_near, "tok-near")
    fcm.answer("tok-near", answers.quota_exceeded(retry_after=300))
    row = offer(cast)
    before = timezone.now()
    assert push(row) == PushState.PENDING
    due = state(row).push_next_attempt_at
    assert due >= before + timedelta(seconds=300)
    with time_machine.travel(before + timedelta(seconds=290)):
        assert tasks.sweep_outbox() == 0  # FCM asked for 300 s: nothing goes out at 290
    assert fcm.fcm_requests == 1
    with time_machine.travel(due + timedelta(seconds=1)):
        assert tasks.sweep_outbox() == 1
    assert (state(row).push_state, fcm.fcm_requests) == (PushState.SENT, 2)


def test_a_dead_token_is_never_used_again(cast, fcm, phone_of):  # type: ignore[no-untyped-def]
    phone_of(cast.counselor_near, "tok-dead")
    phone_of(cast.counselor_near, "tok-live")
    fcm.answer("tok-dead", answers.unregistered())
    assert push(offer(cast, event_key="offer:1")) == PushState.SENT  # reached tok-live
    for n in range(2, 5):
        assert push(offer(cast, event_key=f"offer:{n}")) == PushState.SENT
    assert len(fcm.sent_to("tok-dead")) == 1  # the one send that found it dead
    assert len(fcm.sent_to("tok-live")) == 4
    assert list(Device.objects.filter(user=cast.counselor_near).values_list("token", flat=True)) == [
        "tok-live"
    ]


def test_a_500_is_retried_and_a_permanent_error_is_not(cast, fcm, phone_of, eager_celery):  # type: ignore[no-untyped-def]
    phone_of(cast.counselor_near, "tok-a")
    phone_of(cast.counselor_far, "tok-b")
    fcm.answer("tok-a", answers.internal())
    fcm.answer("tok-b", answers.invalid_message())
    transient, permanent = (
        offer(cast, event_key="offer:a"),
        offer(cast, cast.counselor_far, event_key="offer:b"),
    )
    assert (push(transient), push(permanent)) == (PushState.PENDING, PushState.FAILED)
    later = max(state(transient).push_next_attempt_at, timezone.now()) + timedelta(seconds=1)
    with time_machine.travel(later):
        assert tasks.sweep_outbox() == 1  # only the transient one comes back
    assert (state(transient).push_state, state(permanent).push_state) == (PushState.SENT, PushState.FAILED)
    assert (len(fcm.sent_to("tok-a")), len(fcm.sent_to("tok-b"))) == (2, 1)
