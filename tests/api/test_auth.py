"""Sign-in with password or Firebase phone auth, refresh-token rotation, logout, and rate limiting."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from backend.accounts.models import RefreshToken, User
from backend.accounts.services import ClientInfo, refresh_token_rotate
from backend.common.errors import AuthenticationFailed
from tests.accounts.login_helpers import fast_password_hasher, fresh_login_counters, post  # noqa: F401
from tests.cast import PASSWORD
from tests.fakes import firebase_auth as fakes

pytestmark = pytest.mark.django_db

# The fake's fixtures, made available to this module's tests.
google_fake = fakes.google_fake
firebase_auth_fake = fakes.firebase_auth_fake


def login(phone: str, password: str = PASSWORD, ip: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return post("/auth/login", {"phone": phone, "password": password}, ip=ip)


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["error"]["code"]


# --- password sign-in ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["081200000001", "6281200000001", "+62 812-0000-0001", " 0812 0000 0001 "])
def test_it_signs_in_with_the_phone_as_people_type_it(cast, typed) -> None:  # type: ignore[no-untyped-def]
    response = login(typed)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == int(django_settings.ACCESS_TOKEN_TTL.total_seconds())
    assert body["user"]["phone"] == "+6281200000001"
    assert body["user"]["roles"][0]["role"] == "volunteer"
    assert body["access"] and body["refresh"]


def test_the_access_token_from_sign_in_opens_me(cast, api) -> None:  # type: ignore[no-untyped-def]
    access = login("081200000011").json()["access"]
    response = api.get("/me", headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 200
    assert response.json()["name"] == "dr. Konselor Kasongan"


def test_a_wrong_password_and_an_unknown_phone_get_the_same_answer(cast) -> None:  # type: ignore[no-untyped-def]
    wrong = login("081200000001", "salah-sandi-123")
    unknown = login("081277777777")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert error_code(wrong) == "invalid_credentials"


def test_it_names_the_field_when_the_phone_is_not_a_phone_number(cast) -> None:  # type: ignore[no-untyped-def]
    response = login("12ab")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "phone"


def test_a_missing_password_is_a_validation_error(cast) -> None:  # type: ignore[no-untyped-def]
    response = post("/auth/login", {"phone": "081200000001"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "password"


def test_a_deactivated_user_is_told_the_account_is_inactive(cast) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=cast.volunteer_katingan.pk).update(is_active=False)
    response = login("081200000001")
    assert response.status_code == 403
    assert error_code(response) == "account_inactive"


def test_a_deactivated_user_with_a_wrong_password_learns_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=cast.volunteer_katingan.pk).update(is_active=False)
    assert error_code(login("081200000001", "salah-sandi-123")) == "invalid_credentials"


def test_a_user_provisioned_for_firebase_cannot_sign_in_with_a_password(cast) -> None:  # type: ignore[no-untyped-def]
    User.objects.create_user("081255550000", None, name="Kader Baru")
    response = login("081255550000", "")
    assert response.status_code == 422
    assert error_code(login("081255550000", "apa-saja-123")) == "invalid_credentials"


def test_password_sign_in_can_be_switched_off(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_LOGIN_ENABLED = False
    response = login("081200000001")
    assert response.status_code == 403
    assert error_code(response) == "password_login_disabled"


# --- Firebase phone sign-in (verified for real against a local certificate endpoint) ----------------------


def firebase(id_token: str, ip: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return post("/auth/firebase", {"id_token": id_token}, ip=ip)


def test_a_valid_firebase_id_token_signs_in_its_provisioned_phone(cast, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    fetches = len(firebase_auth_fake.google.cert_fetches)
    response = firebase(firebase_auth_fake.id_token(phone_number="+6281200000013"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["name"] == "Asesor RSUD Kasongan"
    assert body["access"] and body["refresh"]
    # The signature was checked against the served certificate, not skipped.
    assert len(firebase_auth_fake.google.cert_fetches) > fetches


def test_an_expired_firebase_id_token_is_refused(cast, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    token = firebase_auth_fake.id_token(phone_number="+6281200000013", expires_in=-60, issued_ago=3700)
    response = firebase(token)
    assert response.status_code == 401
    assert error_code(response) == "invalid_id_token"


def test_a_firebase_id_token_signed_with_another_key_is_refused(cast, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    response = firebase(firebase_auth_fake.wrongly_signed_id_token(phone_number="+6281200000013"))
    assert response.status_code == 401
    assert error_code(response) == "invalid_id_token"


def test_a_firebase_id_token_of_another_project_is_refused(cast, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    token = firebase_auth_fake.id_token(phone_number="+6281200000013", aud="someone-else")
    assert error_code(firebase(token)) == "invalid_id_token"


def test_garbage_instead_of_an_id_token_is_refused(cast, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    response = firebase("not.a.jwt")
    assert response.status_code == 401
    assert error_code(response) == "invalid_id_token"


def test_a_verified_phone_that_was_never_provisioned_is_refused(cast, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    response = firebase(firebase_auth_fake.id_token(phone_number="+6281299999999"))
    assert response.status_code == 403
    assert error_code(response) == "phone_not_provisioned"


def test_a_foreign_phone_number_is_not_provisioned_either(cast, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    response = firebase(firebase_auth_fake.id_token(phone_number="+14155550123"))
    assert error_code(response) == "phone_not_provisioned"


def test_a_firebase_token_without_a_phone_number_is_refused(cast, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    response = firebase(firebase_auth_fake.id_token(phone_number=None, email="a@example.com"))
    assert response.status_code == 403
    assert error_code(response) == "id_token_without_phone"


def test_a_deactivated_user_cannot_sign_in_with_firebase(cast, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=cast.assessor_near.pk).update(is_active=False)
    response = firebase(firebase_auth_fake.id_token(phone_number="+6281200000013"))
    assert response.status_code == 403
    assert error_code(response) == "account_inactive"


def test_firebase_sign_in_without_credentials_is_unavailable(cast, settings) -> None:  # type: ignore[no-untyped-def]
    from backend.common.firebase_app import reset_firebase_app

    settings.FIREBASE_CREDENTIALS_FILE = None
    reset_firebase_app()
    response = firebase("eyJhbGciOiJSUzI1NiJ9.e30.x")
    assert response.status_code == 503
    assert error_code(response) == "firebase_not_configured"


def test_firebase_sign_in_when_googles_certificates_cannot_be_fetched_is_unavailable(
    cast, firebase_auth_fake, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import socket

    import firebase_admin._token_gen as token_gen

    from backend.common.firebase_app import reset_firebase_app

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    monkeypatch.setattr(token_gen, "ID_TOKEN_CERT_URI", f"http://127.0.0.1:{dead}/certs")
    reset_firebase_app()
    response = firebase(firebase_auth_fake.id_token(phone_number="+6281200000013"))
    assert response.status_code == 503
    assert error_code(response) == "firebase_unavailable"


def test_production_refuses_to_start_with_the_firebase_auth_emulator() -> None:
    """The emulator skips signature and expiry checks: a production process must not start with it set."""
    env = {
        **os.environ,
        "PULIH_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "NIK_HMAC_KEY": "n" * 40,
        "JWT_SIGNING_KEY": "j" * 40,
        "ALLOWED_HOSTS": "pulih.example",
        "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099",
    }
    code = "import backend.settings"
    refused = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0
    assert "FIREBASE_AUTH_EMULATOR_HOST" in refused.stderr
    del env["FIREBASE_AUTH_EMULATOR_HOST"]
    accepted = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert accepted.returncode == 0, accepted.stderr


# --- refresh tokens --------------------------------------------------------------------------------------------


def signed_in(phone: str = "081200000001") -> dict:
    response = login(phone)
    assert response.status_code == 200, response.content
    return response.json()


def refresh(raw: str):  # type: ignore[no-untyped-def]
    return post("/auth/refresh", {"refresh": raw})


def test_refresh_tokens_are_stored_only_as_their_hash(cast) -> None:  # type: ignore[no-untyped-def]
    raw = signed_in()["refresh"]
    assert not RefreshToken.objects.filter(token_hash=raw).exists()
    row = RefreshToken.objects.get(token_hash=hashlib.sha256(raw.encode()).hexdigest())
    assert row.user == cast.volunteer_katingan
    assert row.expires_at > timezone.now() + django_settings.REFRESH_TOKEN_TTL - timedelta(minutes=1)


def test_a_refresh_rotates_the_pair_within_the_same_family(cast) -> None:  # type: ignore[no-untyped-def]
    first = signed_in()
    response = refresh(first["refresh"])
    assert response.status_code == 200, response.content
    second = response.json()
    assert second["refresh"] != first["refresh"]
    assert second["user"]["phone"] == "+6281200000001"
    old = RefreshToken.objects.get(token_hash=hashlib.sha256(first["refresh"].encode()).hexdigest())
    new = RefreshToken.objects.get(token_hash=hashlib.sha256(second["refresh"].encode()).hexdigest())
    assert old.used_at is not None and old.replaced_by == new and old.family == new.family
    assert refresh(second["refresh"]).status_code == 200


def test_reusing_a_refresh_token_revokes_the_whole_family(cast) -> None:  # type: ignore[no-untyped-def]
    first = signed_in()
    second = refresh(first["refresh"]).json()
    reused = refresh(first["refresh"])
    assert reused.status_code == 401
    assert error_code(reused) == "refresh_token_reused"
    # The thief's successor is dead too, and so is every token of the family.
    after = refresh(second["refresh"])
    assert after.status_code == 401
    assert error_code(after) == "refresh_token_revoked"
    assert not RefreshToken.objects.filter(user=cast.volunteer_katingan, revoked_at__isnull=True).exists()


def test_reuse_in_one_family_leaves_the_users_other_sessions_alone(cast) -> None:  # type: ignore[no-untyped-def]
    phone_a, phone_b = signed_in(), signed_in()
    refresh(phone_a["refresh"])
    refresh(phone_a["refresh"])
    assert refresh(phone_b["refresh"]).status_code == 200


def test_an_expired_refresh_token_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    raw = signed_in()["refresh"]
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = refresh(raw)
    assert response.status_code == 401
    assert error_code(response) == "refresh_token_expired"


def test_an_unknown_refresh_token_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    response = refresh("tidak-ada")
    assert response.status_code == 401
    assert error_code(response) == "invalid_refresh_token"


def test_a_deactivated_user_cannot_refresh(cast) -> None:  # type: ignore[no-untyped-def]
    raw = signed_in()["refresh"]
    User.objects.filter(pk=cast.volunteer_katingan.pk).update(is_active=False)
    response = refresh(raw)
    assert response.status_code == 403
    assert error_code(response) == "account_inactive"
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_with_one_token_one_wins_and_the_other_is_reuse(cast) -> None:  # type: ignore[no-untyped-def]
    raw = signed_in()["refresh"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait()
            refresh_token_rotate(raw=raw, client=ClientInfo())
            outcomes.append("rotated")
        except AuthenticationFailed as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["refresh_token_reused", "rotated"]
    # The loser's reuse revoked the family, including the winner's new token.
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()


# --- logout ------------------------------------------------------------------------------------------------------


def test_logout_revokes_the_session(cast) -> None:  # type: ignore[no-untyped-def]
    pair = signed_in()
    rotated = refresh(pair["refresh"]).json()
    response = post("/auth/logout", {"refresh": rotated["refresh"]}, token=rotated["access"])
    assert response.status_code == 204
    assert error_code(refresh(rotated["refresh"])) == "refresh_token_revoked"
    # Logging out again is harmless.
    assert post("/auth/logout", {"refresh": rotated["refresh"]}, token=rotated["access"]).status_code == 204


def test_logout_needs_a_valid_access_token(cast) -> None:  # type: ignore[no-untyped-def]
    pair = signed_in()
    response = post("/auth/logout", {"refresh": pair["refresh"]})
    assert response.status_code == 401
    assert error_code(response) == "unauthenticated"


def test_nobody_can_log_out_someone_elses_session(cast) -> None:  # type: ignore[no-untyped-def]
    victim = signed_in("081200000001")
    other = signed_in("081200000002")
    response = post("/auth/logout", {"refresh": victim["refresh"]}, token=other["access"])
    assert response.status_code == 401
    assert error_code(response) == "invalid_refresh_token"
    assert refresh(victim["refresh"]).status_code == 200


# --- rate limiting -------------------------------------------------------------------------------------------------


def test_too_many_wrong_passwords_for_a_phone_are_throttled(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_RATE_LIMIT_PER_PHONE = 3
    for _ in range(3):
        assert error_code(login("081200000001", "salah-sandi-123")) == "invalid_credentials"
    response = login("081200000001")  # even the right password waits now
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= settings.LOGIN_RATE_WINDOW_SECONDS
    # Another phone from the same address is not affected by this phone's limit.
    assert login("081200000002").status_code == 200


def test_a_successful_sign_in_resets_the_phone_counter(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_RATE_LIMIT_PER_PHONE = 3
    for _ in range(2):
        login("081200000001", "salah-sandi-123")
    assert login("081200000001").status_code == 200
    for _ in range(3):
        assert login("081200000001", "salah-sandi-123").status_code == 401
    assert login("081200000001").status_code == 429


def test_too_many_failures_from_one_address_are_throttled(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_RATE_LIMIT_PER_IP = 4
    for i in range(4):
        assert login(f"08127777000{i}", ip="10.1.2.3").status_code == 401
    response = login("081200000001", ip="10.1.2.3")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert login("081200000001", ip="10.9.9.9").status_code == 200


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_address_limit(
    cast, settings
) -> None:  # type: ignore[no-untyped-def]
    """TRUSTED_PROXY_COUNT = 0: X-Forwarded-For is the caller's own invention, a fresh value per guess must not
    give a fresh counter; REMOTE_ADDR is the client."""
    settings.TRUSTED_PROXY_COUNT = 0
    settings.LOGIN_RATE_LIMIT_PER_IP = 3
    for i in range(3):
        response = post(
            "/auth/login",
            {"phone": f"08127777100{i}", "password": "salah-sandi-123"},
            ip="10.6.0.1",
            forwarded_for=f"203.0.113.{i}",
        )
        assert response.status_code == 401
    response = post(
        "/auth/login", {"phone": "081200000001", "password": PASSWORD}, ip="10.6.0.1", forwarded_for="1.1.1.1"
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_limit_counts_per_forwarded_client(cast, settings) -> None:  # type: ignore[no-untyped-def]
    """Bug: behind a reverse proxy every sign-in came from the proxy's REMOTE_ADDR, so a handful of failures
    anywhere locked out the whole country. With TRUSTED_PROXY_COUNT = 1 the client is the rightmost
    X-Forwarded-For entry; what the caller wrote further left is ignored."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_RATE_LIMIT_PER_IP = 3
    proxy = "10.7.0.1"
    for i in range(3):
        # The caller forges a different leftmost entry each time: the proxy-appended one still counts.
        forged = f"198.51.100.{i}, 203.0.113.9"
        response = post(
            "/auth/login",
            {"phone": f"08127777200{i}", "password": "salah-sandi-123"},
            ip=proxy,
            forwarded_for=forged,
        )
        assert response.status_code == 401
    body = {"phone": "081200000001", "password": PASSWORD}
    assert post("/auth/login", body, ip=proxy, forwarded_for="203.0.113.9").status_code == 429
    # Another client behind the same proxy is not affected.
    response = post("/auth/login", body, ip=proxy, forwarded_for="198.51.100.0, 203.0.113.10")
    assert response.status_code == 200
    token = RefreshToken.objects.filter(user__phone="+6281200000001").latest("created_at")
    assert token.ip == "203.0.113.10"


def test_the_client_address_is_read_as_many_hops_from_the_right_as_there_are_proxies(settings) -> None:  # type: ignore[no-untyped-def]
    from django.test import RequestFactory

    from backend.accounts.client_ip import client_ip

    def ip(count: int, forwarded: str | None) -> str | None:
        settings.TRUSTED_PROXY_COUNT = count
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        return client_ip(RequestFactory().post("/", REMOTE_ADDR="10.0.0.5", **extra))

    assert ip(0, "1.2.3.4") == "10.0.0.5"
    assert ip(1, "9.9.9.9, 1.2.3.4") == "1.2.3.4"
    assert ip(2, "9.9.9.9, 1.2.3.4, 172.16.0.2") == "1.2.3.4"
    assert ip(2, "1.2.3.4") == "10.0.0.5"  # fewer entries than proxies: misconfigured, not trusted
    assert ip(1, "not-an-address") == "10.0.0.5"
    assert ip(1, None) == "10.0.0.5"
    assert ip(1, " 2001:db8::1 ") == "2001:db8::1"


def test_the_defaults_trust_no_proxy_and_are_generous_per_address_for_carrier_grade_nat() -> None:
    """Thousands of subscribers share one CGNAT address: the per-address limit is only a brake on guessing
    across phones and sits far above the per-phone limit. No proxy is trusted unless configured."""
    names = ("TRUSTED_PROXY_COUNT", "LOGIN_RATE_LIMIT_PER_IP", "LOGIN_RATE_LIMIT_PER_PHONE")
    env = {k: v for k, v in os.environ.items() if k not in names and k.removesuffix("_FILE") not in names}
    code = (
        "import backend.settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.LOGIN_RATE_LIMIT_PER_IP, s.LOGIN_RATE_LIMIT_PER_PHONE)"
    )

    def run(**extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True, timeout=60
        )

    proxies, per_ip, per_phone = map(int, run().stdout.split())
    assert proxies == 0 and per_ip >= 100 > per_phone
    assert run(TRUSTED_PROXY_COUNT="2").stdout.split()[0] == "2"
    assert "TRUSTED_PROXY_COUNT" in run(TRUSTED_PROXY_COUNT="nginx").stderr


def test_invalid_firebase_tokens_count_against_the_address(cast, settings, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_RATE_LIMIT_PER_IP = 2
    assert firebase("not.a.jwt", ip="10.4.4.4").status_code == 401
    assert firebase("not.a.jwt", ip="10.4.4.4").status_code == 401
    response = firebase(firebase_auth_fake.id_token(phone_number="+6281200000013"), ip="10.4.4.4")
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"


def test_unknown_verified_phones_count_against_the_phone(cast, settings, firebase_auth_fake) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_RATE_LIMIT_PER_PHONE = 2
    token = firebase_auth_fake.id_token(phone_number="+6281299999999")
    assert firebase(token, ip="10.5.0.1").status_code == 403
    assert firebase(token, ip="10.5.0.2").status_code == 403
    assert firebase(token, ip="10.5.0.3").status_code == 429


def test_sign_in_still_works_when_redis_is_down_and_says_so_in_the_log(cast, settings, caplog) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "unix:///nonexistent/pulih-redis.sock?db=2"
    settings.LOGIN_RATE_LIMIT_PER_PHONE = 1
    with caplog.at_level(logging.WARNING, logger="backend.accounts.ratelimit"):
        assert login("081200000001", "salah-sandi-123").status_code == 401
        assert login("081200000001", "salah-sandi-123").status_code == 401  # not limited: failing open
        assert login("081200000001").status_code == 200
    assert any("rate limiter unavailable" in r.getMessage() for r in caplog.records)


def test_long_dead_refresh_tokens_are_pruned_and_live_ones_kept(cast) -> None:  # type: ignore[no-untyped-def]
    from backend.accounts.tasks import prune_refresh_tokens

    live = signed_in()["refresh"]
    expired = signed_in()["refresh"]
    revoked = signed_in()["refresh"]
    long_ago = timezone.now() - timedelta(days=8)
    RefreshToken.objects.filter(token_hash=hashlib.sha256(expired.encode()).hexdigest()).update(
        expires_at=long_ago
    )
    RefreshToken.objects.filter(token_hash=hashlib.sha256(revoked.encode()).hexdigest()).update(
        revoked_at=long_ago
    )
    assert prune_refresh_tokens() == 2
    assert refresh(live).status_code == 200


# --- access tokens die with their session ------------------------------------------------------------------------


def get_me(access: str):  # type: ignore[no-untyped-def]
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})


def test_an_access_token_stops_working_at_logout(cast) -> None:  # type: ignore[no-untyped-def]
    """Fault: an access token stayed valid for up to 15 minutes after its session was signed out."""
    pair = signed_in()
    assert get_me(pair["access"]).status_code == 200
    assert post("/auth/logout", {"refresh": pair["refresh"]}, token=pair["access"]).status_code == 204

    response = get_me(pair["access"])

    assert response.status_code == 401
    assert error_code(response) == "unauthenticated"


def test_access_tokens_of_a_family_revoked_for_reuse_stop_working(cast) -> None:  # type: ignore[no-untyped-def]
    """Fault: after a refresh token was used twice (a copied token), the family's access tokens still opened
    the API until they expired."""
    first = signed_in()
    second = refresh(first["refresh"]).json()
    assert refresh(first["refresh"]).status_code == 401  # reuse: the whole family is revoked

    assert get_me(first["access"]).status_code == 401
    assert get_me(second["access"]).status_code == 401


def test_signing_out_leaves_the_users_other_sessions_open(cast) -> None:  # type: ignore[no-untyped-def]
    phone_a, phone_b = signed_in(), signed_in()
    post("/auth/logout", {"refresh": phone_a["refresh"]}, token=phone_a["access"])
    assert get_me(phone_b["access"]).status_code == 200
    assert get_me(refresh(phone_b["refresh"]).json()["access"]).status_code == 200
