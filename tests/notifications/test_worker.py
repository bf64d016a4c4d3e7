"""End to end with a real Celery worker (a subprocess) on the real embedded Redis (this suite's db) and a
committed database: notify() -> on_commit publish -> worker -> firebase-admin -> fake FCM -> row `sent`.
And the outbox with the broker stopped: nothing is lost, nothing is pushed twice."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction

from notifications import tasks
from notifications.models import Notification, PushState
from notifications.services import broker_circuit, notify
from tests.fakes.fcm import FakeFCM

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    return f"postgres://{db['USER']}@{host}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(scope="module")
def worker(_fcm_server: FakeFCM, tmp_path_factory) -> Iterator[subprocess.Popen]:
    folder = tmp_path_factory.mktemp("worker")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DATABASE_URL": _database_url(),  # the test database, which this test commits to
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "FIREBASE_CREDENTIALS_FILE": str(_fcm_server.service_account(folder / "service-account.json")),
        "PUSH_ENABLED": "true",
        "FAKE_FCM_SEND_URL": _fcm_server.send_url,
    }
    with (folder / "worker.log").open("w") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("fcm_worker.py"))],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while "ready." not in (folder / "worker.log").read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("worker did not start:\n" + (folder / "worker.log").read_text())
        time.sleep(0.1)
    yield proc
    proc.terminate()
    proc.wait(timeout=15)


def wait_for_state(row_id, wanted: str, timeout: float = 20.0) -> Notification:
    deadline = time.monotonic() + timeout
    while True:
        row = Notification.objects.get(id=row_id)
        if row.push_state == wanted or time.monotonic() > deadline:
            return row
        time.sleep(0.05)


def offer(user, event_key="offer:e2e"):
    with transaction.atomic():  # commits: on_commit publishes for real
        return notify(
            recipient=user,
            kind="escalation_offered",
            event_key=event_key,
            params={"client_code": "KTG-0042", "deadline": datetime(2026, 11, 24, 7, 30, tzinfo=UTC)},
            data={"escalation_id": "5b3f0d4e-0000-4000-8000-000000000001"},
            priority="high",
            ttl_seconds=7200,
        )


@pytest.fixture
def broker_stopped(settings):
    """Point this process's publisher at a port nothing listens on, as if Redis were down."""
    from backend.celery import app

    def point_at(url: str) -> None:
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url
        # Celery caches the connection and producer pools of the old URL (as after a fork, drop them).
        app._pool = None
        app.amqp._producer_pool = None

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    previous = app.conf.broker_url
    point_at(f"redis://127.0.0.1:{dead_port}/0")
    yield lambda: point_at(previous)
    point_at(previous)
    broker_circuit.reset()


def test_a_committed_notification_is_pushed_by_a_real_worker(cast, fcm, phone_of, worker):
    phone_of(cast.counselor_near, "tok-e2e")
    row = offer(cast.counselor_near)
    row = wait_for_state(row.id, PushState.SENT)
    assert row.push_state == PushState.SENT, row.push_last_error
    (message,) = fcm.sent_to("tok-e2e")
    assert message["data"]["notification_id"] == str(row.id)
    assert message["android"]["priority"] == "high"


def test_a_notification_made_while_the_broker_is_down_is_pushed_once_when_it_is_back(
    cast, fcm, phone_of, worker, broker_stopped, caplog
):
    phone_of(cast.counselor_near, "tok-outage")
    phone_of(cast.counselor_far, "tok-outage-2")
    caplog.set_level("INFO", logger="notifications.services")
    row = offer(cast.counselor_near, "offer:outage")  # commits; publishing fails after commit, quietly
    assert "outbox sweep will retry" in caplog.text
    # The next one does not even try (each try costs a request the connect timeout) until the circuit closes.
    other = offer(cast.counselor_far, "offer:outage")
    assert "left to the outbox sweep" in caplog.text
    time.sleep(0.5)  # a worker would have had time to send, had anything been published
    row.refresh_from_db()
    assert (row.push_state, fcm.fcm_requests) == (PushState.PENDING, 0)

    broker_stopped()  # Redis is back
    assert tasks.sweep_outbox() == 2
    for notification in (row, other):
        assert wait_for_state(notification.id, PushState.SENT).push_state == PushState.SENT
    assert tasks.sweep_outbox() == 0
    time.sleep(0.5)
    assert len(fcm.sent_to("tok-outage")) == len(fcm.sent_to("tok-outage-2")) == 1
