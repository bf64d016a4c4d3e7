"""Set-up helpers for recovery tests: real services for clients, plain rows for escalations and offers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from backend.escalations.models import Escalation, Offer
from backend.recovery.models import Client
from backend.recovery.services import client_create

ALL_CONSENTS = [
    {"scope": "data_collection", "given": True},
    {"scope": "contact_family", "given": True},
    {"scope": "referral", "given": True},
]


def register(cast: Any, *, actor: Any = None, village: str = "62.06.02.1003", **fields: Any) -> Client:
    """A client registered through the real service (default: by volunteer_katingan in Kasongan Baru)."""
    data: dict[str, Any] = {
        "name": "Budi Santoso",
        "sex": "male",
        "birth_year": 1995,
        "village_code": village,
    }
    data.update(fields)
    return client_create(actor=actor or cast.volunteer_katingan, **data)


def offer(
    cast: Any,
    client: Client,
    *,
    staff: Any = None,
    facility: Any = None,
    accepted: bool = False,
    need: str = "counseling",
) -> Escalation:
    """An escalation of `client` offered to `staff` (counselor_near at Puskesmas Kasongan), optionally accepted."""
    staff = staff or cast.counselor_near
    facility = facility or cast.pkm_kasongan
    escalation = Escalation.objects.create(
        client=client,
        need=need,
        urgency="routine",
        reason="uji",
        status="accepted" if accepted else "offered",
        assigned_to=staff if accepted else None,
        facility=facility if accepted else None,
    )
    Offer.objects.create(
        escalation=escalation,
        staff=staff,
        facility=facility,
        distance_km=2.5,
        status="accepted" if accepted else "pending",
        expires_at=timezone.now() + timedelta(hours=24),
        answered_at=timezone.now() if accepted else None,
    )
    return escalation


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """The cast has 16 users: with the production hasher its set-up takes ~15 s on a busy machine.
    Import this fixture into a test module to make it autouse there."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
