"""Shared fixtures: the cast (tests/cast.py) and an API client that signs in as any of them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as DjangoClient

from backend.accounts.models import User
from backend.accounts.tokens import access_token_issue
from tests.cast import Cast, cast_build


class Api:
    """A thin JSON client for /api/v1 that can act as any user: `api.as_(user).get("/clients")`."""

    prefix = "/api/v1"

    def __init__(self, user: User | None = None, lang: str | None = None) -> None:
        self._client = DjangoClient()
        self.user = user
        self.lang = lang

    def as_(self, user: User | None, lang: str | None = None) -> Api:
        return Api(user, lang)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.user is not None:
            headers["Authorization"] = f"Bearer {access_token_issue(user_id=self.user.id)[0]}"
        if self.lang:
            headers["Accept-Language"] = self.lang
        headers.update(extra or {})
        return headers

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, **params: Any
    ):
        url = self.prefix + path
        kwargs: dict[str, Any] = {"headers": self._headers(headers)}
        if method == "get":
            return self._client.get(url, params, **kwargs)
        data = json.dumps(body) if body is not None else None
        return getattr(self._client, method)(url, data=data, content_type="application/json", **kwargs)

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        return self.request("get", path, headers=headers, **params)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self.request("post", path, body, headers)

    def patch(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self.request("patch", path, body, headers)

    def delete(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self.request("delete", path, body, headers)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `external` run only when asked for (`-m external`, scripts/test-external.sh)."""
    if "external" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="external services: run by scripts/test-external.sh")
    for item in items:
        if "external" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:  # type: ignore[no-untyped-def]
    """The cast has ~20 users with passwords: the production hasher would spend most of each test on them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
def cast(db: None) -> Cast:
    """Geography of Katingan, Barito Timur and Mataram plus one user per role (see tests/cast.py)."""
    return cast_build()
