"""Fixtures of the notification tests: a fast password hasher, and the fake FCM (tests/fakes/fcm.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from firebase_admin import messaging

from backend.common.firebase_app import reset_firebase_app
from notifications.models import Device
from tests.fakes.fcm import FakeFCM


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The cast creates ~15 users; Django's default PBKDF2 costs seconds per cast on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _fcm_server() -> Iterator[FakeFCM]:
    server = FakeFCM().start()
    yield server
    server.stop()


@pytest.fixture
def fcm(_fcm_server: FakeFCM, settings, tmp_path) -> Iterator[FakeFCM]:
    """firebase-admin configured from a local service-account file and sending to the fake FCM.

    FCM's URL has no official override: `_MessagingService.FCM_URL` is private, read when an App's messaging
    service is first built (so set before the first send, after reset_firebase_app); firebase-admin is
    pinned exactly in pyproject.toml so an upgrade cannot move it silently.
    """
    _fcm_server.reset()
    settings.FIREBASE_CREDENTIALS_FILE = str(_fcm_server.service_account(tmp_path / "service-account.json"))
    settings.FIREBASE_PROJECT_ID = None
    settings.PUSH_ENABLED = True
    # google-auth looks up the service account's "regional access boundary" at iamcredentials.googleapis.com
    # in a background thread after each token refresh; offline that fails (harmlessly, it is best effort)
    # and urllib3 logs its retries. Those lines say nothing about Pulih, so they are kept out of the output.
    urllib3_log = logging.getLogger("urllib3.connectionpool")
    urllib3_level = urllib3_log.level
    urllib3_log.setLevel(logging.ERROR)
    original = messaging._MessagingService.FCM_URL
    messaging._MessagingService.FCM_URL = _fcm_server.send_url
    reset_firebase_app()
    yield _fcm_server
    messaging._MessagingService.FCM_URL = original
    reset_firebase_app()
    urllib3_log.setLevel(urllib3_level)


@pytest.fixture
def phone_of(db):
    """Register a device (FCM token) for a user: `phone_of(user, "tok-1")`."""

    def register(user, token: str) -> Device:
        return Device.objects.create(user=user, token=token, platform="android", app_version="1.0.0")

    return register


@pytest.fixture
def eager_celery():
    """Tasks published with apply_async run inline (the Celery app's conf, which Django settings no longer
    reach once it is configured)."""
    from backend.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
