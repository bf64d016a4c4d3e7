"""Fixtures of escalation tests: clients in the cast's villages with referral consent, and helpers."""

from __future__ import annotations

import pytest

from backend.accounts.models import User
from backend.recovery.models import Client
from tests.cast import Cast
from tests.factories import ClientRowFactory
from villages.models import Region


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    """The cast signs up ~16 users; PBKDF2's production cost made each test's set-up take ~17 s here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_client(
    village: Region | str,
    registered_by: User,
    *,
    volunteers: tuple[User, ...] = (),
    consent: bool = True,
    status: str = "screened",
) -> Client:
    """A client row (tests.factories.ClientRowFactory) at `status`, with `volunteers` assigned; with `consent`,
    data collection (visits logged for the client, accompaniments completing tasks, need it) and referral."""
    return ClientRowFactory(
        village=village,
        registered_by=registered_by,
        status=status,
        volunteers=volunteers,
        consents=None if consent else (),
    )


@pytest.fixture
def client_kasongan(cast: Cast) -> Client:
    """A client in Kasongan Baru (Katingan), volunteer_katingan assigned, referral consent given."""
    return make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))


@pytest.fixture
def client_mataram(cast: Cast) -> Client:
    return make_client(cast.ampenan_selatan, cast.volunteer_mataram, volunteers=(cast.volunteer_mataram,))
