"""The offer sweep through a real Celery worker (a subprocess) on the embedded Redis (this suite's db) and the
committed test database: beat's message -> worker -> `expire_offers` -> the next candidate is offered."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from backend.escalations.models import Offer
from backend.escalations.services import escalation_create
from tests.escalations.conftest import make_client

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    return f"postgres://{db['USER']}@{host}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path) -> Iterator[subprocess.Popen]:
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PUSH_ENABLED": "false",
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "backend", "worker", "-P", "solo", "--without-mingle",
             "--without-gossip", "--without-heartbeat", "--purge", "--loglevel", "INFO"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while "ready." not in log_path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("worker did not start:\n" + log_path.read_text())
        time.sleep(0.1)
    yield proc
    proc.terminate()
    proc.wait(timeout=15)


def test_a_real_worker_running_the_beat_task_moves_an_expired_offer_on(cast, worker):
    from backend.celery import app

    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    esc = escalation_create(
        actor=cast.volunteer_katingan, client=client, need="counseling", urgency="urgent", reason="Krisis"
    )
    Offer.objects.filter(escalation=esc).update(expires_at=timezone.now() - timedelta(minutes=1))

    app.send_task(settings.CELERY_BEAT_SCHEDULE["expire-escalation-offers"]["task"])

    deadline = time.monotonic() + 20
    while not Offer.objects.filter(escalation=esc, status="expired").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    offers = list(Offer.objects.filter(escalation=esc).order_by("offered_at").values_list("staff", "status"))
    assert offers == [(cast.counselor_near.id, "expired"), (cast.counselor_far.id, "pending")]
