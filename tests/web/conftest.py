"""The web view's tests use the report's small world (tests/reports/conftest.py) and a signed-in browser client."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.cast import PASSWORD
from tests.reports.conftest import world  # noqa: F401  (the fixture, shared)


@pytest.fixture
def signed_in():
    """signed_in(user) -> a Django test client with a session, signed in through the sign-in page."""

    def make(user) -> Client:
        client = Client()
        res = client.post("/web/masuk/", {"phone": user.phone, "password": PASSWORD})
        assert res.status_code == 302, res.content[:500]
        return client

    return make
