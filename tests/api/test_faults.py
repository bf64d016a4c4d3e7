"""Faults answer in the error shape with a status a phone can act on: 413 for an oversized body, 503 with
Retry-After when PostgreSQL is unavailable (never a 500 or an HTML page)."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import Client as DjangoClient

from backend.accounts.tokens import access_token_issue

pytestmark = pytest.mark.django_db

ONE_MB = 1024 * 1024


@pytest.mark.parametrize(
    "path",
    ["/api/v1/sync/visits", "/api/v1/clients", "/api/v1/escalations", "/api/v1/auth/login"],
)
def test_an_oversized_body_answers_413_in_the_error_shape(settings, cast, path):  # type: ignore[no-untyped-def]
    """Fault: a 20 MB body to POST /sync/visits answered 500 (RequestDataTooBig escaped the guard that reads
    the body first); other endpoints answered an HTML 400."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = ONE_MB
    body = json.dumps({"visits": [{"notes": "x" * 1000}] * 2 * 1024})  # ~2 MB
    token = access_token_issue(user_id=cast.volunteer_katingan.id)[0]

    response = DjangoClient().post(
        path, data=body, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["message"] == "Kiriman terlalu besar (paling besar 1 MB)."


def test_a_body_under_the_limit_is_read_as_usual(settings, api, cast):  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = ONE_MB
    assert api.as_(cast.volunteer_katingan).post("/sync/visits", {"visits": []}).status_code == 200


def test_the_database_unavailable_answers_503_with_retry_after(api, cast, monkeypatch):  # type: ignore[no-untyped-def]
    """Fault: with PostgreSQL restarting under load, writes answered 500; a phone only retries on 503."""

    def database_down(*, user):  # type: ignore[no-untyped-def]
        raise OperationalError("connection to server on socket failed: No such file or directory")

    monkeypatch.setattr("api.routers.me.user_profile", database_down)

    response = api.as_(cast.volunteer_katingan).get("/me")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.json()["error"]["message"] == "Layanan sedang tidak tersedia. Coba lagi sebentar lagi."
    assert "socket" not in response.content.decode()  # the driver's text stays in the log
