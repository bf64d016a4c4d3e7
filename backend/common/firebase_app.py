"""The one firebase-admin App of this process, built from the service-account file named in the environment.

Only backend/accounts (ID-token verification) and notifications/push.py (FCM) use it.
"""

from __future__ import annotations

import threading

import firebase_admin
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from firebase_admin import credentials

from backend.common.errors import DomainError

_APP_NAME = "pulih"
_lock = threading.Lock()


class FirebaseNotConfigured(DomainError):
    status = 503
    code = "firebase_not_configured"
    default_message = _("Layanan Firebase belum dikonfigurasi di server ini.")


def get_firebase_app() -> firebase_admin.App:
    """The initialised App; raises FirebaseNotConfigured when no credentials file is set."""
    with _lock:
        try:
            return firebase_admin.get_app(_APP_NAME)
        except ValueError:
            pass
        if not settings.FIREBASE_CREDENTIALS_FILE:
            raise FirebaseNotConfigured()
        cred = credentials.Certificate(settings.FIREBASE_CREDENTIALS_FILE)
        # The SDK's default HTTP timeout is 120 s: far too long for a request or a worker waiting on Google.
        options: dict[str, object] = {"httpTimeout": 10}
        if settings.FIREBASE_PROJECT_ID:
            options["projectId"] = settings.FIREBASE_PROJECT_ID
        return firebase_admin.initialize_app(cred, options, name=_APP_NAME)


def reset_firebase_app() -> None:
    """Forget the App (tests switch credentials files and fake endpoints between cases)."""
    with _lock:
        try:
            firebase_admin.delete_app(firebase_admin.get_app(_APP_NAME))
        except ValueError:
            pass
