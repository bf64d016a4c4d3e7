"""Fixtures of escalation tests: clients in the cast's villages with referral consent, and helpers."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from backend.accounts.models import User
from backend.recovery.models import Client, Consent
from villages.models import Region

_seq = itertools.count(1)


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
    code = village if isinstance(village, str) else village.code
    n = next(_seq)
    client = Client.objects.create(
        code=f"TST-2026-{n:05d}",
        name=f"Klien Uji {n}",
        name_normalized=f"klien uji {n}",
        sex="male",
        birth_year=1995,
        village_id=code,
        registered_by=registered_by,
        status=status,
    )
    client.assigned_volunteers.set(volunteers)
    if consent:
        # Data collection too: visits logged for the client (accompaniments completing tasks) need it.
        for scope in ("data_collection", "referral"):
            Consent.objects.create(
                client=client, scope=scope, given=True, given_by="client", recorded_by=registered_by
            )
    return client


@pytest.fixture
def client_kasongan(cast: SimpleNamespace) -> Client:
    """A client in Kasongan Baru (Katingan), volunteer_katingan assigned, referral consent given."""
    return make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))


@pytest.fixture
def client_mataram(cast: SimpleNamespace) -> Client:
    return make_client(cast.ampenan_selatan, cast.volunteer_mataram, volunteers=(cast.volunteer_mataram,))
