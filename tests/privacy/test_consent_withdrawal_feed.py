"""Withdrawal of data-collection consent takes the client off every phone through the feed (`op: leave`), with
what hangs on them: the volunteer's family member, visits and tasks, the counselor's case (issue 10)."""

from __future__ import annotations

import uuid

import pytest

from backend.recovery.models import ClientFamilyLink, FamilyMember
from backend.sync.changelog import change_record
from tests.escalations.conftest import make_client
from tests.privacy.test_consent_withdrawal import taken_case, withdraw
from tests.recovery.helpers import fast_password_hashing  # noqa: F401
from tests.sync.helpers import drain, ids_of, upload, visit_payload

# The feed serves a change once every older transaction has finished: only committed data shows.
pytestmark = pytest.mark.django_db(transaction=True)


def _synced(api, user, must_hold: str):  # type: ignore[no-untyped-def]
    """A first sync that holds the client, read on past a marker written now: the cursor after set-up."""
    items, cursor, _p = drain(api, user, until=lambda items: must_hold in ids_of(items, "client"))
    assert must_hold in ids_of(items, "client")
    marker = uuid.uuid4()
    change_record(entity="notification", entity_id=marker, user_id=user.id)
    items, cursor, _p = drain(
        api, user, cursor=cursor, until=lambda items: str(marker) in ids_of(items, "notification", None)
    )
    return cursor


def test_the_client_and_what_hangs_on_them_leave_every_phone(api, cast):
    client = make_client(
        cast.kasongan_baru,
        cast.volunteer_katingan,
        volunteers=(cast.volunteer_katingan,),
        status="community_recovery",
    )
    member = FamilyMember.objects.create(
        name="Ibu Klien", relationship="ibu", village_id=client.village_id, created_by=cast.volunteer_katingan
    )
    ClientFamilyLink.objects.create(client=client, member=member, linked_by=cast.volunteer_katingan)
    visit = visit_payload(client)
    assert upload(api, cast.volunteer_katingan, [visit]).json()["results"][0]["status"] == "created"
    esc = taken_case(api, cast, client)
    phones = {
        user: _synced(api, user, str(client.id))
        for user in (
            cast.volunteer_katingan,
            cast.official_katingan,
            cast.counselor_near,
            cast.coordinator_katingan,
        )
    }

    withdraw(api, cast.official_katingan, client)

    for user, cursor in phones.items():
        items, _c, _p = drain(
            api, user, cursor=cursor, until=lambda items: str(client.id) in ids_of(items, "client", "leave")
        )
        assert str(client.id) in ids_of(items, "client", "leave"), user.name
        assert str(client.id) not in ids_of(items, "client", "upsert"), user.name
        if user in (cast.volunteer_katingan, cast.official_katingan, cast.coordinator_katingan):
            assert str(member.id) in ids_of(items, "family_member", "leave"), user.name
            assert visit["id"] in ids_of(items, "visit", "leave"), user.name
        if user == cast.counselor_near:
            assert str(esc.id) in ids_of(items, "escalation", "leave")
        if user == cast.volunteer_katingan:
            assert ids_of(items, "task", "leave"), "the accompany task leaves the volunteer's phone"
        # and a first sync from scratch does not bring them back
        again, _c, _p = drain(api, user)
        assert str(client.id) not in ids_of(again, "client") and visit["id"] not in ids_of(again, "visit")
