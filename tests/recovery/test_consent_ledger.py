"""The consent ledger keeps every event: the database refuses to change or delete one."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from backend.recovery.models import Consent
from tests.escalations.conftest import make_client

pytestmark = pytest.mark.django_db


def test_a_consent_event_cannot_be_changed(cast):  # type: ignore[no-untyped-def]
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan)
    event = Consent.objects.filter(client=client).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Consent.objects.filter(id=event.id).update(given=False)
    event.refresh_from_db()
    assert event.given is True


def test_a_consent_event_cannot_be_deleted(cast):  # type: ignore[no-untyped-def]
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Consent.objects.filter(client=client).delete()
    assert Consent.objects.filter(client=client).count() == 2


def test_a_withdrawal_is_a_new_event(api, cast):  # type: ignore[no-untyped-def]
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{client.id}/consents", {"scope": "referral", "given": False, "given_by": "client"}
    )
    assert response.status_code == 201, response.content
    assert list(
        Consent.objects.filter(client=client, scope="referral")
        .order_by("recorded_at")
        .values_list("given", flat=True)
    ) == [True, False]
