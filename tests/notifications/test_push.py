"""notifications.push against the fake FCM: firebase-admin's real HTTP path, nothing mocked."""

from __future__ import annotations

import time
import warnings

from notifications import push
from tests.fakes import fcm as answers


def send(tokens, **kw):
    args = {
        "title": "Tawaran kasus baru",
        "body": "Buka aplikasi Pulih",
        "data": {"escalation_id": "e-1", "attempt": 2},
        "priority": "high",
        "ttl_seconds": 7200,
    }
    args.update(kw)
    return push.send_to_tokens(tokens, **args)


def test_it_posts_the_fcm_v1_message_firebase_admin_builds(fcm):
    result = send(["tok-a"])
    assert result.sent == ["tok-a"] and not result.should_retry
    assert fcm.token_requests == 1  # the signed JWT went to the local token endpoint
    assert fcm.messages == [
        {
            "message": {
                "token": "tok-a",
                "notification": {"title": "Tawaran kasus baru", "body": "Buka aplikasi Pulih"},
                "data": {"escalation_id": "e-1", "attempt": "2"},  # values stringified
                "android": {"priority": "high", "ttl": "7200s"},
            }
        }
    ]


def test_normal_priority_and_no_ttl_leave_android_defaults(fcm):
    send(["tok-a"], priority="normal", ttl_seconds=None)
    assert fcm.messages[0]["message"]["android"] == {"priority": "normal"}


def test_it_sends_one_request_per_token_and_fetches_one_access_token(fcm):
    result = send([f"tok-{i}" for i in range(7)])
    send(["tok-again"])
    assert len(result.sent) == 7
    assert fcm.fcm_requests == 8 and fcm.token_requests == 1


def test_it_batches_by_500(fcm, monkeypatch):
    monkeypatch.setattr(push, "BATCH_SIZE", 3)  # our batching, not the SDK's
    result = send([f"tok-{i}" for i in range(7)])
    assert sorted(result.sent) == sorted(f"tok-{i}" for i in range(7))


def test_it_raises_no_deprecation_warning_for_registration_tokens(fcm):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        send(["tok-a"])


def test_unregistered_and_invalid_tokens_are_dead(fcm):
    fcm.answer("gone", answers.unregistered())
    fcm.answer("garbled", answers.invalid_token())
    fcm.answer("other-project", answers.sender_id_mismatch())
    result = send(["gone", "garbled", "other-project", "fine"])
    assert sorted(result.dead) == ["garbled", "gone", "other-project"]
    assert result.sent == ["fine"]
    assert result.errors == {
        "gone": "UNREGISTERED",
        "garbled": "INVALID_ARGUMENT",
        "other-project": "SENDER_ID_MISMATCH",
    }
    assert not result.should_retry


def test_a_field_violation_on_the_token_condemns_it_whatever_the_wording(fcm):
    fcm.answer("tok-a", answers.invalid_token(message="Request contains an invalid argument."))
    assert send(["tok-a"]).dead == ["tok-a"]


def test_an_invalid_message_is_permanent_but_keeps_the_device(fcm):
    fcm.answer("tok-a", answers.invalid_message())
    result = send(["tok-a"])
    assert result.permanent == ["tok-a"] and not result.dead and not result.should_retry


def test_quota_exceeded_asks_for_at_least_60_seconds(fcm):
    fcm.answer("tok-a", answers.quota_exceeded())
    fcm.answer("tok-b", answers.quota_exceeded(retry_after=90))
    result = send(["tok-a", "tok-b"])
    assert sorted(result.transient) == ["tok-a", "tok-b"]
    assert result.errors["tok-a"] == "QUOTA_EXCEEDED"
    assert result.retry_after_seconds == 90


def test_a_429_is_answered_at_once_not_slept_out_inside_the_request(fcm):
    """Regression: the SDK's urllib3 policy would sleep the 429's Retry-After inside the HTTP call."""
    fcm.answer("tok-a", answers.quota_exceeded(retry_after=30))
    started = time.monotonic()
    result = send(["tok-a"])
    assert time.monotonic() - started < 5
    assert result.retry_after_seconds == 60 and fcm.fcm_requests == 1


def test_500_and_503_are_transient_and_honour_retry_after(fcm):
    fcm.answer("tok-a", answers.internal())
    fcm.answer("tok-b", answers.unavailable(retry_after=120))
    result = send(["tok-a", "tok-b"])
    assert result.errors == {"tok-a": "INTERNAL", "tok-b": "UNAVAILABLE"}
    assert result.should_retry and result.retry_after_seconds == 120
    # The outbox owns retries: one request per token, no in-request backoff (that costs ~7 s per 5xx).
    assert fcm.fcm_requests == 2


def test_without_firebase_credentials_nothing_is_sent_and_retry_later(fcm, settings):
    settings.FIREBASE_CREDENTIALS_FILE = None
    from backend.common.firebase_app import reset_firebase_app

    reset_firebase_app()
    result = send(["tok-a"])
    assert result.transient == ["tok-a"] and fcm.fcm_requests == 0


def test_retry_after_accepts_seconds_and_http_dates():
    class Response:
        def __init__(self, value):
            self.headers = {"Retry-After": value} if value else {}

    assert push.retry_after_seconds(Response("120")) == 120
    assert push.retry_after_seconds(Response(None)) is None
    assert push.retry_after_seconds(Response("Wed, 21 Oct 2015 07:28:00 GMT")) == 0  # in the past
    assert push.retry_after_seconds(Response("soon")) is None


def test_it_sorts_the_sdks_exceptions_into_what_to_do():
    from firebase_admin import exceptions, messaging

    assert push.classify_error(messaging.ThirdPartyAuthError("apns")) == (
        "permanent",
        "THIRD_PARTY_AUTH_ERROR",
        None,
    )
    assert (
        push.classify_error(exceptions.UnauthenticatedError("UNAUTHENTICATED", "our key"))[0] == "transient"
    )
    assert (
        push.classify_error(exceptions.DeadlineExceededError("DEADLINE_EXCEEDED", "slow"))[0] == "transient"
    )
    assert push.classify_error(exceptions.NotFoundError("NOT_FOUND", "project?"))[0] == "permanent"
    assert push.classify_error(ValueError("bad data"))[:2] == ("permanent", "INVALID_MESSAGE")
    assert push.classify_error(ConnectionError("reset"))[0] == "transient"


def test_when_our_access_token_is_refused_nothing_is_sent_and_retry_later(fcm):
    """A revoked or rotating service-account key: no message can go out; the outbox retries, capped."""
    fcm.token_refused = True
    result = send(["tok-a", "tok-b"])
    assert sorted(result.transient) == ["tok-a", "tok-b"] and fcm.fcm_requests == 0
