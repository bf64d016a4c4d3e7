"""Sign-ins must not block sync. A password check (PBKDF2) costs about half a second of CPU, and a gunicorn gthread
worker has a few threads: a burst of sign-ins used to hold every one of them while sync requests waited seconds
(bench/RESULTS.md, bench/bench_signin_burst.py). At most SIGN_IN_CONCURRENCY threads of a process check a password
at once, through this one gate, shared by the API's `POST /auth/login` and the web view's sign-in form; a sign-in
beyond that is answered "busy" at once (the API: 503 `sign_in_busy` with Retry-After), so the other threads stay
free for sync, whatever the burst."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext_lazy as _

SIGN_IN_GATE = threading.BoundedSemaphore(settings.SIGN_IN_CONCURRENCY)
SIGN_IN_RETRY_AFTER_SECONDS = 1
SIGN_IN_BUSY_MESSAGE = _("Server sedang sibuk melayani permintaan masuk. Coba lagi sebentar.")


@contextmanager
def password_check_slot() -> Iterator[bool]:
    """A permit to check a password, if one is free (True), released on leaving; False: answer "busy" now."""
    acquired = SIGN_IN_GATE.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            SIGN_IN_GATE.release()
