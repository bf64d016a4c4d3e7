"""Helpers shared by the sign-in tests: a JSON poster with a chosen client IP, and clean rate-limit counters."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from backend.accounts.ratelimit import KEY_PREFIX, redis_client


def post(
    path: str, body: Any, *, ip: str = "127.0.0.1", token: str | None = None, forwarded_for: str | None = None
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return Client().post(
        "/api/v1" + path,
        data=json.dumps(body),
        content_type="application/json",
        REMOTE_ADDR=ip,
        headers=headers,
    )


def clear_login_counters(client: Any) -> None:
    keys = list(client.scan_iter(match=KEY_PREFIX + "*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: Any) -> None:
    """PBKDF2 at Django's default cost takes about a second per hash here; the cast hashes 17 passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_login_counters() -> Any:
    client = redis_client()  # taken now: a test may point settings.REDIS_URL at a dead Redis
    clear_login_counters(client)
    yield
    clear_login_counters(client)
