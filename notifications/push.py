"""Push through Firebase Cloud Messaging: the only module that imports `firebase_admin.messaging`.

`send_to_tokens` sends one message to each token (FCM v1 `messages:send` through `send_each`, 500 per batch)
and says, per token, what FCM answered, sorted into what the caller must do:

- **sent**;
- **dead**: delete the device. UNREGISTERED (the app was uninstalled or the token rotated), SENDER_ID_MISMATCH
  (the token belongs to another Firebase project), and INVALID_ARGUMENT when FCM says the *registration token*
  is not valid (FCM answers INVALID_ARGUMENT for a malformed token as well as for a malformed message; only
  the first condemns the device);
- **transient**: try again later. UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, network errors, our own token
  endpoint failing; FCM's Retry-After is honoured, and QUOTA_EXCEEDED (429) waits at least 60 s as FCM asks;
- **permanent**: do not retry (INVALID_ARGUMENT about the message itself, APNs auth errors, anything else).

Retries belong to the outbox (notifications.tasks), not to the HTTP layer. firebase-admin's own urllib3
policy retries 500/503 four times with backoff (about 7 s) and sleeps out a 429's Retry-After inside the
request, holding a worker for a minute or more; so the messaging session gets an adapter without status
retries (see `_own_the_retries`). That reaches into two private names of firebase-admin, which is pinned
exactly in pyproject.toml; if they move, sending still works with the SDK's defaults and a warning is logged.

`Message.token` vs `fid`: firebase-admin 7.7 deprecates `Message.token` in favour of Firebase Installation IDs.
The app registers FCM *registration tokens* (FirebaseMessaging.getToken()), which are not FIDs and would be
rejected as such, so this module keeps `token=` and silences exactly that deprecation where it builds
messages (as firebase-admin itself does in `_get_messages_from_multicast`). Moving to FIDs is an app change
first.
"""

from __future__ import annotations

import email.utils
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import firebase_admin
import requests.adapters
from firebase_admin import exceptions, messaging
from urllib3.util.retry import Retry

from backend.common.firebase_app import get_firebase_app

logger = logging.getLogger(__name__)

BATCH_SIZE = 500  # FCM's (and send_each's) limit per call
QUOTA_MIN_WAIT_SECONDS = 60.0

_TRANSIENT = (
    exceptions.UnavailableError,
    exceptions.InternalError,
    exceptions.DeadlineExceededError,
    exceptions.UnknownError,
    exceptions.UnauthenticatedError,  # our access token refused: a key rotation in progress, not the message
)


@dataclass
class PushResult:
    sent: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    transient: list[str] = field(default_factory=list)
    permanent: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # token -> FCM error code
    # The longest wait FCM asked for before a retry (Retry-After; at least 60 s after QUOTA_EXCEEDED).
    retry_after_seconds: float | None = None

    @property
    def should_retry(self) -> bool:
        return bool(self.transient)

    def add_error(self, token: str, outcome: str, code: str, retry_after: float | None = None) -> None:
        getattr(self, outcome).append(token)
        self.errors[token] = code
        if retry_after is not None:
            self.retry_after_seconds = max(self.retry_after_seconds or 0.0, retry_after)


def retry_after_seconds(response: Any) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None when absent or unreadable."""
    raw = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _blames_the_token(exc: exceptions.FirebaseError) -> bool:
    """Whether an INVALID_ARGUMENT is about the registration token (a BadRequest field violation on
    `message.token`, or FCM's "not a valid FCM registration token" message) rather than the message."""
    if "registration token" in str(exc).lower():
        return True
    try:
        details = exc.http_response.json()["error"]["details"]
    except (AttributeError, KeyError, TypeError, ValueError):
        return False
    return any(
        violation.get("field") == "message.token"
        for detail in details
        if isinstance(detail, dict)
        for violation in detail.get("fieldViolations", [])
    )


def classify_error(exc: BaseException) -> tuple[str, str, float | None]:
    """(outcome, code, retry_after) of one failed send; outcome is dead | transient | permanent."""
    if isinstance(exc, ValueError):  # the SDK refused to encode the message: same again next time
        return "permanent", "INVALID_MESSAGE", None
    if not isinstance(exc, exceptions.FirebaseError):
        return "transient", type(exc).__name__, None
    wait = retry_after_seconds(exc.http_response)
    if isinstance(exc, messaging.UnregisteredError):
        return "dead", "UNREGISTERED", None
    if isinstance(exc, messaging.SenderIdMismatchError):
        return "dead", "SENDER_ID_MISMATCH", None
    if isinstance(exc, exceptions.InvalidArgumentError):
        return ("dead" if _blames_the_token(exc) else "permanent"), "INVALID_ARGUMENT", None
    if isinstance(exc, messaging.ThirdPartyAuthError):  # APNs/web-push credentials: fix config, not retry
        return "permanent", "THIRD_PARTY_AUTH_ERROR", None
    if isinstance(exc, exceptions.ResourceExhaustedError):
        return "transient", "QUOTA_EXCEEDED", max(QUOTA_MIN_WAIT_SECONDS, wait or 0.0)
    if isinstance(exc, _TRANSIENT):
        return "transient", exc.code, wait
    return "permanent", exc.code, None


def _own_the_retries(app: firebase_admin.App) -> None:
    """Mount an adapter without status retries on the FCM URL of the app's messaging session (see top)."""
    try:
        service = messaging._get_messaging_service(app)
        if getattr(service, "_pulih_retries_owned", False):
            return
        adapter = requests.adapters.HTTPAdapter(
            max_retries=Retry(
                total=None,
                connect=1,  # nothing reached FCM yet: safe to try once more at once
                read=0,  # FCM may have delivered: the outbox decides, with backoff
                redirect=0,
                status=0,
                other=0,
                respect_retry_after_header=False,
                raise_on_status=False,
            )
        )
        service._client.session.mount(service._fcm_url, adapter)
        service._pulih_retries_owned = True
    except AttributeError:
        logger.warning("firebase-admin internals moved; FCM requests keep the SDK's own retry policy")


def _message(
    token: str,
    title: str,
    body: str,
    data: dict[str, str],
    priority: str,
    ttl: timedelta | None,
    collapse_id: str | None = None,
) -> messaging.Message:
    """One FCM message. With `collapse_id`, a re-send of the same notification (a worker died mid-send, and
    at-least-once delivery sent it again) replaces the one already on the phone instead of showing twice:
    FCM collapses queued copies by `collapse_key`, Android replaces a shown one by its `tag`."""
    with warnings.catch_warnings():
        # Registration tokens, not FIDs: see the module docstring.
        warnings.filterwarnings("ignore", message="Message.token is deprecated", category=DeprecationWarning)
        return messaging.Message(
            token=token,
            notification=messaging.Notification(title=title, body=body),
            data=data,
            android=messaging.AndroidConfig(
                priority=priority,
                ttl=ttl,
                collapse_key=collapse_id,
                notification=messaging.AndroidNotification(tag=collapse_id) if collapse_id else None,
            ),
        )


def send_to_tokens(
    tokens: Sequence[str],
    title: str,
    body: str,
    data: dict[str, Any],
    priority: str = "normal",
    ttl_seconds: int | None = None,
    collapse_id: str | None = None,
) -> PushResult:
    """Send one notification to every token; never raises for FCM's answers (see PushResult). `collapse_id`
    (the notification's id) makes a re-send replace the copy already shown."""
    result = PushResult()
    if not tokens:
        return result
    str_data = {str(k): str(v) for k, v in data.items()}  # FCM data values must be strings
    ttl = timedelta(seconds=ttl_seconds) if ttl_seconds is not None else None
    android_priority = "high" if priority == "high" else "normal"
    try:
        app = get_firebase_app()
        _own_the_retries(app)
        if not app.credential.get_credential().valid:
            # Fetch the access token once here: send_each's threads would otherwise each fetch one.
            app.credential.get_access_token()
    except Exception as exc:  # not configured, or our token endpoint failed: nothing was sent
        for token in tokens:
            result.add_error(token, "transient", type(exc).__name__)
        return result
    for start in range(0, len(tokens), BATCH_SIZE):
        batch = list(tokens[start : start + BATCH_SIZE])
        messages = [_message(t, title, body, str_data, android_priority, ttl, collapse_id) for t in batch]
        try:
            responses = messaging.send_each(messages, app=app).responses
        except (exceptions.FirebaseError, ValueError) as exc:  # the whole batch failed
            outcome, code, wait = classify_error(exc)
            for token in batch:
                result.add_error(token, outcome, code, wait)
            continue
        for token, response in zip(batch, responses, strict=True):
            if response.success:
                result.sent.append(token)
            else:
                result.add_error(token, *classify_error(response.exception))
    return result
