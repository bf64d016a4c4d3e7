"""Entry point of the real Celery worker the end-to-end tests start as a subprocess.

It is `celery -A backend worker -P solo --without-mingle --without-gossip` with one difference: firebase-admin
sends to the fake FCM whose URL the test passes in FAKE_FCM_SEND_URL (FCM has no official override; see
tests/notifications/conftest.py). Database, broker and credentials come from the environment as in production.
"""

from __future__ import annotations

import os

from firebase_admin import messaging

messaging._MessagingService.FCM_URL = os.environ["FAKE_FCM_SEND_URL"]

from backend.celery import app  # noqa: E402  (after the URL is set)

if __name__ == "__main__":
    app.worker_main(
        [
            "worker",
            "-P",
            "solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--purge",  # messages left in this test broker db by earlier runs
            "--loglevel",
            "INFO",
        ]
    )
