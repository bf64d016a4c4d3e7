"""One Celery process of a scale-out drill "node" (bench/drills/drill_scaleout.py), as production runs it, with two
differences that make a drill of minutes possible:

- `worker NAME`: `celery -A backend worker -P solo -n NAME@host`, firebase-admin sending to the fake FCM whose URL
  the drill passes in FAKE_FCM_SEND_URL (as tests/notifications/fcm_worker.py; no --purge: the other node's
  workers share the queue);
- `beat SCHEDULE_FILE`: `celery -A backend beat` with every periodic job of backend/settings.py on a compressed
  clock (the hourly and daily ones every BEAT_EVERY_SECONDS, the outbox sweep every 2 s), so that each job runs
  many times from both beats while the drill lasts. The jobs themselves are unchanged.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

from firebase_admin import messaging

if os.environ.get("FAKE_FCM_SEND_URL"):
    messaging._MessagingService.FCM_URL = os.environ["FAKE_FCM_SEND_URL"]

from backend.celery import app  # noqa: E402  (after the URL is set)

FAST = {"sweep-notification-outbox": 2, "expire-escalation-offers": 5}

if __name__ == "__main__":
    role, arg = sys.argv[1], sys.argv[2]
    if role == "worker":
        app.worker_main(
            ["worker", "-P", "solo", "-n", f"{arg}@%h", "--without-mingle", "--without-gossip",
             "--without-heartbeat", "--loglevel", "INFO"]
        )  # fmt: skip
    elif role == "beat":
        every = int(os.environ.get("BEAT_EVERY_SECONDS", "10"))
        for name, entry in app.conf.beat_schedule.items():
            entry["schedule"] = timedelta(seconds=FAST.get(name, every))
        app.start(["beat", "--loglevel", "INFO", "--schedule", arg])
    else:
        raise SystemExit(f"unknown role {role}: worker NAME | beat SCHEDULE_FILE")
