"""An erased client leaves every phone through the feed (`op: leave`), with their family member and visits, and a
first sync from scratch does not bring them back (issue 10)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from backend.recovery.models import ClientFamilyLink, FamilyMember
from tests.escalations.conftest import make_client
from tests.privacy.test_consent_withdrawal_feed import _synced
from tests.recovery.helpers import fast_password_hashing  # noqa: F401
from tests.sync.helpers import drain, ids_of, upload, visit_payload

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(PRIVACY_RETENTION_DAYS=0)
def test_an_erased_client_and_what_hangs_on_them_leave_every_phone(api, cast):
    client = make_client(
        cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,), status="screened"
    )
    member = FamilyMember.objects.create(
        name="Ibu Klien", relationship="ibu", village_id=client.village_id, created_by=cast.volunteer_katingan
    )
    ClientFamilyLink.objects.create(client=client, member=member, linked_by=cast.volunteer_katingan)
    visit = visit_payload(client)
    assert upload(api, cast.volunteer_katingan, [visit]).json()["results"][0]["status"] == "created"
    phones = {
        user: _synced(api, user, str(client.id))
        for user in (cast.volunteer_katingan, cast.official_katingan, cast.coordinator_katingan)
    }

    body = {"basis": "subject_request", "request_reference": "REQ-2026-7"}
    assert api.as_(cast.coordinator_katingan).post(f"/clients/{client.id}/erasure", body).status_code == 200

    for user, cursor in phones.items():
        items, _c, _p = drain(
            api, user, cursor=cursor, until=lambda items: str(client.id) in ids_of(items, "client", "leave")
        )
        assert str(client.id) in ids_of(items, "client", "leave"), user.name
        assert str(client.id) not in ids_of(items, "client", "upsert"), user.name
        assert str(member.id) in ids_of(items, "family_member", "leave"), user.name
        assert visit["id"] in ids_of(items, "visit", "leave"), user.name
        again, _c, _p = drain(api, user)
        assert str(client.id) not in ids_of(again, "client") and visit["id"] not in ids_of(again, "visit")
