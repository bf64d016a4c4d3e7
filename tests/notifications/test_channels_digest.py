"""digest_send (the daily digest of someone push cannot reach), and what a broker outage does to the second
channel: the request that caused the work is never blocked, and nothing made while Redis is down is lost."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from backend.celery import app
from notifications import tasks
from notifications.models import ChannelMessage, ChannelMessageState, Notification
from notifications.services import broker_circuit, channel_preference_set, digest_send, notify
from tests.fakes.sms import sms_fake  # noqa: F401 (the `sms` fixture)
from tests.fakes.whatsapp import whatsapp_fake  # noqa: F401 (the `whatsapp` fixture)

State = ChannelMessageState
DIGEST = "Ada tugas Pulih yang perlu Anda kerjakan hari ini. Buka aplikasi."


@contextmanager
def eager() -> Iterator[None]:
    """Published tasks run inline from here on (the broker is back; a worker would take them)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.fixture
def broker_down(settings):
    """This process's publisher pointed at a port nothing listens on, as if Redis were down; call the
    returned function to bring it back."""

    def point_at(url: str) -> None:
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url
        app._pool = None  # Celery caches the pools of the old URL
        app.amqp._producer_pool = None

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    previous = app.conf.broker_url
    point_at(dead)
    yield lambda: point_at(previous)
    point_at(previous)
    broker_circuit.reset()


def test_the_digest_goes_to_someone_without_a_push_token(
    cast, whatsapp, eager_celery, django_capture_on_commit_callbacks
):
    channel_preference_set(user=cast.volunteer_katingan, whatsapp=True)
    with django_capture_on_commit_callbacks(execute=True):
        row = digest_send(cast.volunteer_katingan)
    assert row is not None and row.kind == "daily_digest"
    assert row.event_key == f"daily_digest:{timezone.localdate().isoformat()}"
    (body,) = whatsapp.templates()
    assert body["template"] == {"name": "pulih_ringkasan_harian", "language": {"code": "id"}}
    row.refresh_from_db()
    assert (row.state, row.notification_id) == (State.SENT, None)


def test_the_digest_by_sms_carries_the_neutral_text_only(
    cast, sms, eager_celery, django_capture_on_commit_callbacks
):
    channel_preference_set(user=cast.volunteer_katingan, sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        digest_send(cast.volunteer_katingan)
    (body,) = sms.messages()
    assert (body["to"], body["text"]) == (cast.volunteer_katingan.phone, DIGEST)


def test_one_digest_per_day(cast, whatsapp):
    channel_preference_set(user=cast.volunteer_katingan, whatsapp=True)
    today = date(2026, 11, 24)
    assert digest_send(cast.volunteer_katingan, day=today) is not None
    assert digest_send(cast.volunteer_katingan, day=today) is None
    assert digest_send(cast.volunteer_katingan, day=today + timedelta(days=1)) is not None
    assert ChannelMessage.objects.count() == 2


def test_no_digest_by_second_channel_when_push_reaches_them(cast, whatsapp, phone_of):
    channel_preference_set(user=cast.volunteer_katingan, whatsapp=True)
    phone_of(cast.volunteer_katingan, "tok-1")
    assert digest_send(cast.volunteer_katingan) is None


def test_no_digest_for_someone_who_opted_in_to_nothing(cast, whatsapp, sms):
    assert digest_send(cast.volunteer_katingan) is None
    assert ChannelMessage.objects.count() == 0


def test_a_digest_not_sent_within_its_day_is_dropped(cast, whatsapp):
    channel_preference_set(user=cast.volunteer_katingan, whatsapp=True)
    row = digest_send(cast.volunteer_katingan)
    assert row.expires_at is not None and row.expires_at <= timezone.now() + timedelta(hours=12)
    ChannelMessage.objects.filter(id=row.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.send_channel_message(message_id=str(row.id)) == State.SKIPPED


def test_an_unknown_kind_is_a_programming_error(cast, whatsapp):
    channel_preference_set(user=cast.volunteer_katingan, whatsapp=True)
    with pytest.raises(ValueError):
        digest_send(cast.volunteer_katingan, text_kind="no_such_kind")


def test_a_digest_made_while_the_broker_is_down_is_sent_by_the_sweep_later(
    cast, whatsapp, broker_down, django_capture_on_commit_callbacks
):
    channel_preference_set(user=cast.volunteer_katingan, whatsapp=True)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():  # the caller's transaction: publishing waits for its commit...
            row = digest_send(cast.volunteer_katingan)
        # ...and then fails quietly against the dead broker
    assert time.monotonic() - started < 5
    row.refresh_from_db()
    assert (row.state, row.attempts, whatsapp.received) == (State.PENDING, 0, [])

    broker_down()  # Redis is back; the beat sweep publishes what waited
    with eager():
        assert tasks.sweep_second_channel() == 1
    row.refresh_from_db()
    assert (row.state, len(whatsapp.sends())) == (State.SENT, 1)


def test_an_urgent_offer_made_while_the_broker_is_down_still_gets_its_message(
    cast, whatsapp, broker_down, django_capture_on_commit_callbacks, caplog
):
    user = cast.counselor_near
    channel_preference_set(user=user, whatsapp=True)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():  # the request that made the offer: it only writes the inbox row
            row = notify(
                recipient=user,
                kind="escalation_offered",
                event_key="offer:outage",
                params={"client_code": "KTG-0042", "deadline": timezone.now() + timedelta(hours=2)},
                data={"offer_id": "1"},
                priority="high",
                ttl_seconds=7200,
            )
    assert ChannelMessage.objects.count() == 0  # no second-channel work inside the request
    Notification.objects.filter(id=row.id).update(created_at=timezone.now() - timedelta(minutes=16))

    assert tasks.sweep_second_channel() == 0  # the message is made, but cannot be published
    assert "second-channel sweep will retry" in caplog.text
    (message,) = ChannelMessage.objects.all()
    assert (message.state, message.attempts) == (State.PENDING, 0)

    broker_down()  # back
    with eager():
        assert tasks.sweep_second_channel() == 1
        assert tasks.sweep_second_channel() == 0
    message.refresh_from_db()
    assert (message.state, len(whatsapp.sends())) == (State.SENT, 1)
