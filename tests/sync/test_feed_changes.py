"""GET /sync/changes after the first sync: visits ageing out of the window, a scope reset, family phone numbers
following the consent, and forged cursors. These tests commit for real (the feed serves committed log rows)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backend.mobile.feed import VISIT_WINDOW_DAYS
from backend.recovery.consents import consent_record
from backend.recovery.models import Visit
from backend.sync.changelog import change_record, sync_scope_reset
from tests.sync.helpers import drain, ids_of, make_client, make_member, settle, upload, visit_payload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kasongan(cast):
    return make_client(village="62.06.02.1003", by=cast.official_katingan)


def _aged_visits(api, cast, client, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    """n visits an hour or two from leaving the window, and one recent visit (the last id)."""
    window = timedelta(days=VISIT_WINDOW_DAYS)
    visits = [visit_payload(client) for _ in range(n + 1)]
    results = upload(api, cast.volunteer_katingan, visits).json()["results"]
    assert [r["status"] for r in results] == ["created"] * (n + 1)
    for i, v in enumerate(visits[:n]):
        Visit.objects.filter(id=v["id"]).update(
            occurred_at=timezone.now() - window + timedelta(minutes=30 + i)
        )
    return [v["id"] for v in visits]


@pytest.mark.parametrize("limit", [200, 1])
def test_visits_that_age_out_of_the_window_leave_the_phone(api, cast, kasongan, limit):
    """Nothing is written when a visit ages out, so nothing told the phone: its set only grew."""
    *aged, recent = _aged_visits(api, cast, kasongan, 3)
    user = cast.volunteer_katingan
    settle()  # the upload's log rows are in the snapshot, not replayed after the jump in time
    first, cursor, _p = drain(api, user, until=lambda items: recent in ids_of(items, "visit"))
    assert set(aged) <= set(ids_of(first, "visit"))
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        items, cursor, _p = drain(
            api,
            user,
            cursor=cursor,
            limit=limit,
            until=lambda items: set(aged) <= set(ids_of(items, "visit", "leave")),
            timeout=20,
        )
        assert sorted(ids_of(items, "visit", "leave")) == sorted(aged)  # each once, even one per page
        assert recent not in ids_of(items, "visit", op=None)
        again, _c, _p = drain(api, user, cursor=cursor, timeout=0)
        assert ids_of(again, "visit", "leave") == []


def test_a_first_sync_during_which_a_visit_ages_out_still_sends_its_leave(api, cast, kasongan):
    """The window start is the first call's: a visit sent by a snapshot page is swept later, whichever page."""
    from backend.mobile.feed import cursor_decode

    *aged, recent = _aged_visits(api, cast, kasongan, 1)
    user = cast.volunteer_katingan
    called = timezone.now()
    body = api.as_(user).get("/sync/changes", limit=2).json()  # the client and one of the two visits
    assert body["has_more"]
    # The decisive part (the log may also replay the upload and send the leave on its own when other sessions of
    # the cluster hold the horizon back): the window start carried is the first call's.
    window_start = cursor_decode(body["next_cursor"]).window_start
    assert window_start is not None
    assert abs(window_start - (called - timedelta(days=VISIT_WINDOW_DAYS))) < timedelta(seconds=5)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        items, _cursor, _p = drain(
            api,
            user,
            cursor=body["next_cursor"],
            until=lambda items: aged[0] in ids_of(items, "visit", "leave"),
            timeout=20,
        )
    assert aged[0] in ids_of(items, "visit", "leave")


def test_a_scope_reset_tells_only_that_phone_to_start_again(api, cast, kasongan):
    user, other = cast.volunteer_katingan, cast.official_katingan
    _items, cursor, _p = drain(api, user, until=lambda items: str(kasongan.id) in ids_of(items, "client"))
    _items, other_cursor, _p = drain(api, other)
    sync_scope_reset(user_id=user.id)
    items, _c, _p = drain(
        api, user, cursor=cursor, until=lambda items: any(i["entity"] == "scope" for i in items)
    )
    reset_at = next(n for n, i in enumerate(items) if i["entity"] == "scope")
    assert items[reset_at] == {"entity": "scope", "id": str(user.id), "op": "reset", "data": None}
    # After the reset, the next cursor is a first sync: the whole set comes again.
    assert str(kasongan.id) in ids_of(items[reset_at + 1 :], "client")
    theirs, _c, _p = drain(api, other, cursor=other_cursor, timeout=0)
    assert [i for i in theirs if i["entity"] == "scope"] == []


def test_a_family_members_phone_number_follows_the_contact_consent(api, cast, kasongan):
    """The feed sent every linked member's phone number, which the API hides without contact consent."""
    member = make_member(client=kasongan, by=cast.official_katingan, phone="081234567891")
    change_record(
        entity="family_member", entity_id=member.id, village_code=kasongan.village_id, client_id=kasongan.id
    )
    user = cast.volunteer_katingan
    first, cursor, _p = drain(api, user, until=lambda items: str(member.id) in ids_of(items, "family_member"))
    sent = next(i for i in first if i["id"] == str(member.id))
    assert sent["data"]["phone"] == "081234567891"
    consent_record(actor=cast.official_katingan, client=kasongan, scope="contact_family", given=False)
    items, _c, _p = drain(
        api, user, cursor=cursor, until=lambda items: str(member.id) in ids_of(items, "family_member")
    )
    again = next(i for i in items if i["id"] == str(member.id))
    assert again["op"] == "upsert" and again["data"]["phone"] is None


def _enc(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    ["9" * 40 + ":1", "1:" + "9" * 40, "-5:-5", "1:1:" + "9" * 40 + ":", "1:1::" + "0" * 8, "s:1:0::x"],
)
def test_a_forged_cursor_is_refused_not_a_server_error(api, cast, raw):
    response = api.as_(cast.volunteer_katingan).get("/sync/changes", cursor=_enc(raw))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("raw", ["1:1", "s:1:0:"])
def test_a_cursor_of_the_earlier_format_is_still_accepted(api, cast, raw):
    response = api.as_(cast.volunteer_katingan).get("/sync/changes", cursor=_enc(raw))
    assert response.status_code == 200


def test_a_change_to_a_case_the_staff_member_was_not_offered_never_reaches_their_phone(api, cast):
    """The leak: every escalation change of a client in scope was re-read for offered-only staff and sent in full
    (the other case's assessor, facility and outcome), with the client's status."""
    from tests.sync.test_feed_privacy import _case

    client = make_client(village="62.06.02.1003", by=cast.official_katingan, status="methadone")
    assessed = _case(
        client,
        staff=cast.assessor_near,
        facility=cast.rsud_kasongan,
        status="outcome_recorded",
        need="assessment",
        offer_status="accepted",
        outcome="methadone",
    )
    offered = _case(
        client,
        staff=cast.counselor_near,
        facility=cast.pkm_kasongan,
        status="offered",
        need="counseling",
        offer_status="pending",
    )
    user = cast.counselor_near
    _items, cursor, _p = drain(api, user, until=lambda items: str(offered.id) in ids_of(items, "escalation"))
    settle()
    for esc in (assessed, offered):
        change_record(
            entity="escalation", entity_id=esc.id, village_code=client.village_id, client_id=client.id
        )
    items, _c, _p = drain(
        api, user, cursor=cursor, until=lambda items: str(offered.id) in ids_of(items, "escalation")
    )
    assert str(assessed.id) not in ids_of(items, "escalation")
    sent = next(i["data"] for i in items if i["id"] == str(offered.id))
    assert sent["access"] == "minimal" and sent["outcome"] == "" and sent["assigned_to_id"] is None
    row = next(i["data"] for i in items if i["entity"] == "client")
    assert row["access"] == "minimal" and "status" not in row
