"""GET /sync/changes: the first sync (a paged snapshot) and the scope of what a phone is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backend.audit.models import AccessLog
from backend.escalations.models import Escalation, Offer
from backend.mobile.tasks import sync_sets_check_oversize
from backend.mobile.visit_writes import visit_create
from backend.recovery.models import Visit
from backend.sync.models import ChangeLog, SyncSetReport
from tests.sync.helpers import drain, ids_of, make_client, make_member, visit_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    """Three active clients and a recovered one in Kasongan Baru, one in Talian Kereng, one in Ampenan."""
    by = cast.official_katingan
    w = {
        "kasongan": [make_client(village="62.06.02.1003", by=by) for _ in range(3)],
        "recovered": make_client(village="62.06.02.1003", by=by, status="recovered"),
        "talian": make_client(village="62.06.02.2005", by=by),
        "ampenan": make_client(village="52.71.01.1004", by=cast.volunteer_mataram),
    }
    w["member"] = make_member(client=w["kasongan"][0], by=by)
    w["visits"] = [
        visit_create(actor=cast.volunteer_katingan, data=visit_payload(c))
        for c in w["kasongan"]
        for _ in range(3)
    ]
    old = visit_create(actor=cast.volunteer_katingan, data=visit_payload(w["kasongan"][0]))
    Visit.objects.filter(id=old.id).update(occurred_at=timezone.now() - timedelta(days=200))
    w["old_visit"] = old
    w["recovered_visit"] = Visit.objects.create(
        id=__import__("uuid").uuid4(),
        client=w["recovered"],
        logged_by=cast.volunteer_katingan,
        occurred_at=timezone.now() - timedelta(days=3),
        type="home_visit",
    )
    return w


def test_a_first_sync_pages_through_the_whole_set_exactly_once(api, cast, world):
    items, _cursor, pages = drain(api, cast.volunteer_katingan, limit=4)
    keys = [(i["entity"], i["id"]) for i in items]
    assert len(keys) == len(set(keys)), "an entity was sent twice"
    assert sorted(ids_of(items, "client")) == sorted(str(c.id) for c in world["kasongan"])
    assert sorted(ids_of(items, "visit")) == sorted(str(v.id) for v in world["visits"])
    assert ids_of(items, "family_member") == [str(world["member"].id)]
    member = next(i for i in items if i["entity"] == "family_member")
    assert member["data"]["client_ids"] == [str(world["kasongan"][0].id)]
    assert pages == 4  # 3 clients + 1 member + 9 visits = 13 items in pages of 4
    client = next(i for i in items if i["entity"] == "client")
    assert client["data"]["access"] == "full" and client["data"]["name"].startswith("Klien Uji")


def test_a_first_sync_leaves_out_closed_clients_and_old_visits(api, cast, world):
    items, _cursor, _pages = drain(api, cast.volunteer_katingan, limit=1000)
    sent = {i["id"] for i in items}
    assert str(world["recovered"].id) not in sent
    assert str(world["recovered_visit"].id) not in sent
    assert str(world["old_visit"].id) not in sent


def test_volunteer_mataram_sees_nothing_of_katingan(api, cast, world):
    items, _cursor, _pages = drain(api, cast.volunteer_mataram, limit=1000)
    assert ids_of(items, "client") == [str(world["ampenan"].id)]
    assert ids_of(items, "visit") == []


def test_an_official_sees_the_village_and_a_coordinator_the_regency(api, cast, world):
    official, _c, _p = drain(api, cast.official_katingan)
    assert len(ids_of(official, "client")) == 3
    coordinator, _c, _p = drain(api, cast.coordinator_katingan)
    assert len(ids_of(coordinator, "client")) == 4  # Kasongan Baru and Talian Kereng, not Ampenan


def test_a_counselor_sees_only_the_clients_offered_with_the_minimal_view(api, cast, world):
    offered = world["kasongan"][1]
    escalation = Escalation.objects.create(client=offered, need="counseling", status="offered")
    Offer.objects.create(
        escalation=escalation,
        staff=cast.counselor_near,
        facility=cast.pkm_kasongan,
        distance_km=2.0,
        expires_at=timezone.now() + timedelta(hours=24),
    )
    items, _cursor, _pages = drain(api, cast.counselor_near)
    assert ids_of(items, "client") == [str(offered.id)]
    client = items[0]["data"]
    assert client["access"] == "minimal" and "name" not in client and "phone" not in client
    assert ids_of(items, "visit") == []  # visit notes are part of the full record
    assert ids_of(items, "escalation") == [str(escalation.id)]
    far, _c, _p = drain(api, cast.counselor_far)
    assert far == []


def test_reading_clients_through_the_feed_is_audited(api, cast, world):
    drain(api, cast.volunteer_katingan, limit=1000)
    audited = AccessLog.objects.filter(user=cast.volunteer_katingan, endpoint="sync_changes")
    assert {row.client_id for row in audited} == {c.id for c in world["kasongan"]}


def test_a_set_over_the_limit_is_reported_and_still_served(api, cast, world, settings):
    settings.SYNC_MAX_SET_SIZE = 5
    items, _cursor, _pages = drain(api, cast.volunteer_katingan)
    assert len(ids_of(items, "visit")) == 9
    assert sync_sets_check_oversize() == 1  # the beat job finds who synced in the last day
    drain(api, cast.volunteer_katingan)  # a second first sync the same day: one report
    assert sync_sets_check_oversize() == 0
    report = SyncSetReport.objects.get(user=cast.volunteer_katingan)
    assert report.set_size == 12 and report.limit == 5


def test_only_a_set_over_the_limit_of_someone_who_synced_in_the_last_day_is_reported(
    api, cast, world, settings
):
    settings.SYNC_MAX_SET_SIZE = 12  # the volunteer's set: 3 clients and 9 visits
    drain(api, cast.volunteer_katingan)
    assert sync_sets_check_oversize() == 0
    settings.SYNC_MAX_SET_SIZE = 5  # the official's set is as large, but they never synced
    with time_machine.travel(timezone.now() + timedelta(days=2)):  # the volunteer's sync is two days old
        assert sync_sets_check_oversize() == 0
    assert not SyncSetReport.objects.exists()


def test_a_first_sync_writes_nothing_but_the_access_log(api, cast, world, settings):
    """GET requests write nothing: the oversize report moved to a beat job (sync_sets_check_oversize)."""
    from notifications.models import Notification

    settings.SYNC_MAX_SET_SIZE = 5
    tables = (SyncSetReport, Notification, ChangeLog)
    before = {model: model.objects.count() for model in tables}
    logged = AccessLog.objects.count()
    drain(api, cast.volunteer_katingan, limit=4)
    assert {model: model.objects.count() for model in tables} == before
    assert AccessLog.objects.count() > logged


@pytest.mark.parametrize("cursor", ["nonsense", "czox", "MTI=", "czoxOjk6"])
def test_an_invalid_cursor_is_refused(api, cast, cursor):
    response = api.as_(cast.volunteer_katingan).get("/sync/changes", cursor=cursor)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_page_takes_a_bounded_number_of_queries(api, cast, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(25):
        response = api.as_(cast.volunteer_katingan).get("/sync/changes", limit=1000)
    assert len(response.json()["items"]) == 13


def test_the_feed_shows_a_visit_exactly_as_the_api_does(api, cast, world):
    """Visits in the feed are built by the database (for speed); they must match visit_as_dict field for field."""
    from datetime import date, datetime

    from backend.recovery.visits.rules import visit_as_dict

    items, _cursor, _pages = drain(api, cast.volunteer_katingan, limit=1000)
    sent = {i["id"]: i["data"] for i in items if i["entity"] == "visit"}
    for visit in world["visits"]:
        expected = visit_as_dict(Visit.objects.get(id=visit.id))
        got = sent[str(visit.id)]
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            if key.endswith("_at"):
                assert datetime.fromisoformat(got[key]) == datetime.fromisoformat(value), key
            elif key == "next_visit_on":
                assert date.fromisoformat(got[key]) == date.fromisoformat(value)
            elif isinstance(value, float):
                assert got[key] == pytest.approx(value), key
            else:
                assert got[key] == value, key


def test_admins_are_notified_of_an_oversized_set_once_a_day(api, cast, world, settings):
    from notifications.models import Notification

    settings.SYNC_MAX_SET_SIZE = 5
    drain(api, cast.volunteer_katingan)
    sync_sets_check_oversize()
    drain(api, cast.volunteer_katingan)
    sync_sets_check_oversize()
    sent = Notification.objects.filter(kind="sync_set_oversize")
    assert [n.recipient for n in sent] == [cast.system_admin]
    assert sent[0].data == {"user_id": str(cast.volunteer_katingan.id)}
    assert "12 baris (batas 5)" in sent[0].body


def test_a_family_members_phone_number_is_sent_only_to_those_who_may_use_it(api, cast):
    """The feed sent every member's phone number; the API shows it only when the member agreed to be contacted
    and the client's contact_family consent is in force (recovery.selectors.family_member_record)."""
    by = cast.official_katingan
    consenting = make_client(village="62.06.02.1003", by=by)
    silent = make_client(village="62.06.02.1003", by=by, consents=("data_collection",))
    willing = make_member(client=consenting, by=by, phone="081200000001")
    unwilling = make_member(client=consenting, by=by, phone="081200000002", may_contact=False)
    no_consent = make_member(client=silent, by=by, phone="081200000003")
    items, _cursor, _pages = drain(api, cast.volunteer_katingan, limit=1000)
    phones = {i["id"]: i["data"]["phone"] for i in items if i["entity"] == "family_member"}
    assert phones == {str(willing.id): "081200000001", str(unwilling.id): None, str(no_consent.id): None}


@pytest.mark.parametrize("change", ["ended", "added"])
def test_a_change_of_the_users_roles_resets_the_phone(api, cast, world, change):
    """Nothing in the change log said that a user lost (or gained) a village: the phone kept clients it may no
    longer see. The cursor carries a fingerprint of the scope; a different one answers a reset."""
    from backend.accounts.models import RoleAssignment

    user = cast.volunteer_katingan
    _items, cursor, _pages = drain(api, user, limit=1000)
    if change == "ended":
        RoleAssignment.objects.filter(user=user).update(active=False)
    else:
        RoleAssignment.objects.create(user=user, role="volunteer", region_id="62.06.02.2005")
    body = api.as_(user).get("/sync/changes", cursor=cursor).json()
    assert body["items"] == [{"entity": "scope", "id": str(user.id), "op": "reset", "data": None}]
    assert body["has_more"]
    again, _cursor, _pages = drain(api, user, cursor=body["next_cursor"], limit=1000)
    expected = (
        set() if change == "ended" else {str(c.id) for c in world["kasongan"]} | {str(world["talian"].id)}
    )
    assert set(ids_of(again, "client")) == expected
    assert [i for i in again if i["entity"] == "scope"] == []  # the new cursor carries the new scope


def test_an_unchanged_scope_never_resets(api, cast, world):
    _items, cursor, _pages = drain(api, cast.volunteer_katingan, limit=4)
    again, _cursor, _pages = drain(api, cast.volunteer_katingan, cursor=cursor)
    assert again == []
