"""Sign-ins must not block sync. A password check costs about half a second of CPU, and a gunicorn gthread worker
has a few threads: a burst of sign-ins used to hold every one of them, and each sync request waited seconds behind
them (bench/RESULTS.md, bench/bench_signin_burst.py). At most SIGN_IN_CONCURRENCY sign-ins of a process check a
password at once; one more is answered 503 `sign_in_busy` with Retry-After at once, and sync is served meanwhile."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from django.test import Client

from backend.accounts import sign_in_gate
from tests.accounts.login_helpers import fast_password_hasher, fresh_login_counters, post  # noqa: F401
from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate_full() -> Iterator[None]:
    """Every permit of the gate taken, as by password checks still running in the process's other threads."""
    held = 0
    while sign_in_gate.SIGN_IN_GATE.acquire(blocking=False):
        held += 1
    assert held >= 1
    yield
    for _ in range(held):
        sign_in_gate.SIGN_IN_GATE.release()


def test_a_sign_in_beyond_the_concurrent_password_checks_is_answered_503_at_once(cast, gate_full):
    response = post("/auth/login", {"phone": cast.volunteer_katingan.phone, "password": PASSWORD})

    assert response.status_code == 503
    assert response["Retry-After"] == str(sign_in_gate.SIGN_IN_RETRY_AFTER_SECONDS)
    assert response.json()["error"]["code"] == "sign_in_busy"


def test_the_busy_answer_is_in_english_too(cast, gate_full):
    response = Client().post(
        "/api/v1/auth/login",
        data=json.dumps({"phone": cast.volunteer_katingan.phone, "password": PASSWORD}),
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert response.json()["error"]["message"] == "The server is busy with sign-ins. Try again in a moment."


def test_sync_is_served_while_the_sign_ins_are_busy(api, cast, gate_full):
    response = api.as_(cast.volunteer_katingan).get("/sync/changes")
    assert response.status_code == 200


def test_a_sign_in_frees_its_permit_whether_it_succeeds_or_fails(cast):
    permits = _free_permits()
    assert (
        post("/auth/login", {"phone": cast.volunteer_katingan.phone, "password": PASSWORD}).status_code == 200
    )
    assert (
        post("/auth/login", {"phone": cast.volunteer_katingan.phone, "password": "salah-sandi"}).status_code
        == 401
    )
    assert _free_permits() == permits


def test_the_gate_is_per_process_and_shared_by_its_threads(cast):
    """Two threads of one process share the gate: with one permit left, one of two concurrent sign-ins gets it."""
    held = 0
    while _free_permits() > 1:
        sign_in_gate.SIGN_IN_GATE.acquire(blocking=False)
        held += 1
    try:
        assert sign_in_gate.SIGN_IN_GATE.acquire(blocking=False)
        other: list[bool] = []
        t = threading.Thread(target=lambda: other.append(sign_in_gate.SIGN_IN_GATE.acquire(blocking=False)))
        t.start()
        t.join()
        assert other == [False]
        sign_in_gate.SIGN_IN_GATE.release()
    finally:
        for _ in range(held):
            sign_in_gate.SIGN_IN_GATE.release()


def _free_permits() -> int:
    n = 0
    while sign_in_gate.SIGN_IN_GATE.acquire(blocking=False):
        n += 1
    for _ in range(n):
        sign_in_gate.SIGN_IN_GATE.release()
    return n


def test_the_web_view_sign_in_goes_through_the_same_gate(cast, gate_full):
    """The coordinators' web sign-in checks passwords too: busy, it answers 503 with the form and no session."""
    web = Client()
    response = web.post("/web/masuk/", {"phone": cast.coordinator_katingan.phone, "password": PASSWORD})
    assert response.status_code == 503
    assert response["Retry-After"] == str(sign_in_gate.SIGN_IN_RETRY_AFTER_SECONDS)
    assert "Server sedang sibuk" in response.content.decode()
    assert "_auth_user_id" not in web.session
