"""GET /me, and the rule that every endpoint but /health and /auth/* needs a valid access token."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import jwt
import pytest
import time_machine
from django.conf import settings as django_settings

from backend.accounts.models import User
from backend.accounts.tokens import access_token_issue
from tests.accounts.login_helpers import fast_password_hasher  # noqa: F401

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_me_tells_a_volunteer_their_village(api, cast) -> None:  # type: ignore[no-untyped-def]
    body = api.as_(cast.volunteer_katingan).get("/me").json()
    assert body["phone"] == "+6281200000001"
    assert body["roles"] == [
        {
            "role": "volunteer",
            "role_label": "Agen pemulihan / kader",
            "region_code": "62.06.02.1003",
            "region_name": "Kasongan Baru",
            "region_level": "village",
            "facility_id": None,
            "facility_name": None,
            "facility": None,
        }
    ]
    assert body["certifications"] == []
    assert body["timezone"] == "Asia/Jakarta"


def test_me_tells_a_counselor_their_facility_and_certificate(api, cast) -> None:  # type: ignore[no-untyped-def]
    body = api.as_(cast.counselor_near).get("/me").json()
    (role,) = body["roles"]
    assert role["facility"] == {
        "id": str(cast.pkm_kasongan.id),
        "code": "T-PKM-KSG",
        "name": "Puskesmas Kasongan",
        "type": "puskesmas",
        "village_code": "62.06.02.1003",
    }
    (cert,) = body["certifications"]
    assert cert["kind"] == "counselor" and cert["valid_today"] is True
    assert body["on_leave_today"] is False


def test_me_shows_an_expired_certificate_as_not_valid_today(api, cast) -> None:  # type: ignore[no-untyped-def]
    (cert,) = api.as_(cast.assessor_expired).get("/me").json()["certifications"]
    assert cert["valid_today"] is False
    assert date.fromisoformat(cert["expires_on"]) < date.fromisoformat(cert["issued_on"]) + timedelta(
        days=3 * 365
    )


def test_me_computes_today_in_the_users_own_time_zone(api, cast) -> None:  # type: ignore[no-untyped-def]
    # 16:30 UTC is already the next day in Mataram (WITA, UTC+8) but not yet in Kasongan (WIB, UTC+7).
    with time_machine.travel(datetime(2026, 3, 9, 16, 30, tzinfo=UTC), tick=False):
        mataram = api.as_(cast.counselor_mataram).get("/me").json()
        kasongan = api.as_(cast.counselor_near).get("/me").json()
    assert (mataram["timezone"], mataram["today"]) == ("Asia/Makassar", "2026-03-10")
    assert (kasongan["timezone"], kasongan["today"]) == ("Asia/Jakarta", "2026-03-09")


def test_me_says_when_a_user_is_on_leave(api, cast) -> None:  # type: ignore[no-untyped-def]
    user = cast.counselor_far
    user.on_leave_from = date.today() - timedelta(days=1)
    user.save()
    assert api.as_(user).get("/me").json()["on_leave_today"] is True


def test_me_lists_a_coordinators_area_and_leaves_out_inactive_roles(api, cast) -> None:  # type: ignore[no-untyped-def]
    cast.coordinator_katingan.roles.create(role="coordinator", region_id="52.71", active=False)
    roles = api.as_(cast.coordinator_katingan).get("/me").json()["roles"]
    assert [(r["region_code"], r["region_name"], r["region_level"]) for r in roles] == [
        ("62.06", "Kabupaten Katingan", "regency")
    ]


def test_me_takes_a_fixed_number_of_queries(api, cast, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = api.as_(cast.coordinator_kalteng)
    with django_assert_max_num_queries(4):  # user, roles (with places), certificates
        assert client.get("/me").status_code == 200


# --- every endpoint but /health and /auth/* needs a valid token ----------------------------------------------


def assert_unauthenticated(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_expired_access_token_is_refused(api, cast) -> None:  # type: ignore[no-untyped-def]
    token, ttl = access_token_issue(user_id=cast.volunteer_katingan.id)
    assert api.get("/me", headers=bearer(token)).status_code == 200
    with time_machine.travel(timedelta(seconds=ttl + 5)):
        assert_unauthenticated(api.get("/me", headers=bearer(token)))


def test_a_garbage_token_is_refused(api, cast) -> None:  # type: ignore[no-untyped-def]
    assert_unauthenticated(api.get("/me", headers=bearer("sampah")))
    assert_unauthenticated(api.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}))


def test_a_token_signed_with_another_key_is_refused(api, cast) -> None:  # type: ignore[no-untyped-def]
    payload = {"sub": str(cast.volunteer_katingan.id), "typ": "access", "exp": 9999999999}
    forged = jwt.encode(payload, "not-the-servers-key-0123456789abcdef", algorithm="HS256")
    assert_unauthenticated(api.get("/me", headers=bearer(forged)))


def test_a_token_that_is_not_an_access_token_is_refused(api, cast) -> None:  # type: ignore[no-untyped-def]
    payload = {"sub": str(cast.volunteer_katingan.id), "typ": "refresh", "exp": 9999999999}
    other = jwt.encode(payload, django_settings.JWT_SIGNING_KEY, algorithm="HS256")
    assert_unauthenticated(api.get("/me", headers=bearer(other)))


def test_a_token_of_a_user_that_does_not_exist_is_refused(api, cast) -> None:  # type: ignore[no-untyped-def]
    token, _ = access_token_issue(user_id=uuid.uuid4())
    assert_unauthenticated(api.get("/me", headers=bearer(token)))


def test_a_deactivated_users_token_stops_working_at_once(api, cast) -> None:  # type: ignore[no-untyped-def]
    token, _ = access_token_issue(user_id=cast.volunteer_katingan.id)
    assert api.get("/me", headers=bearer(token)).status_code == 200
    User.objects.filter(pk=cast.volunteer_katingan.pk).update(is_active=False)
    assert_unauthenticated(api.get("/me", headers=bearer(token)))


def test_every_endpoint_but_health_and_auth_demands_a_token(cast) -> None:  # type: ignore[no-untyped-def]
    """Walks the OpenAPI document: any operation without security must be /health or /auth/* (not logout)."""
    from api.main import api as ninja_api

    schema = ninja_api.get_openapi_schema()
    public = sorted(
        f"{method.upper()} {path}"
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if not op.get("security")
    )
    assert public, "the document lists no public operation at all"
    for entry in public:
        path = entry.split(" ", 1)[1]
        assert path == "/api/v1/health" or (
            path.startswith("/api/v1/auth/") and not path.endswith("/logout")
        ), entry
