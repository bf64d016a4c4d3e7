"""What the feed shows of a case to those who may see only part of it: staff merely offered it, their facility's
admin, a volunteer no longer assigned to the client; and the audit of the record a stale visit edit answers with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.audit.models import AccessLog
from backend.escalations.models import Escalation, Offer
from backend.recovery.models import Client
from backend.tasks.models import Task
from tests.sync.helpers import drain, ids_of, make_client, upload, visit_payload

pytestmark = pytest.mark.django_db

# The course of a case, emptied for those merely offered it (escalations.records, as the API shows it).
EMPTY_CASE_COURSE = {
    "outcome": "",
    "outcome_notes": "",
    "outcome_at": None,
    "assigned_to_id": None,
    "assigned_to_name": None,
    "facility_id": None,
    "facility_name": None,
    "previous_appointments": [],
    "referred_from_id": None,
    "cancel_reason": "",
    "routing": None,
}


def _case(client: Client, *, staff, facility, status: str, need: str, offer_status: str, outcome: str = ""):  # type: ignore[no-untyped-def]
    """An escalation with one offer; an accepted offer makes the staff member its assignee."""
    accepted = offer_status == "accepted"
    esc = Escalation.objects.create(
        client=client,
        need=need,
        urgency="routine",
        reason="menyuntik heroin, overdosis bulan lalu",
        status=status,
        assigned_to=staff if accepted else None,
        facility=facility if accepted else None,
        outcome=outcome,
    )
    Offer.objects.create(
        escalation=esc,
        staff=staff,
        facility=facility,
        distance_km=2.5,
        status=offer_status,
        expires_at=timezone.now() + timedelta(hours=24),
        answered_at=None if offer_status == "pending" else timezone.now(),
    )
    return esc


@pytest.fixture
def offered_case(cast):  # type: ignore[no-untyped-def]
    """A client on methadone after an assessment at RSUD (outcome recorded), now offered for counseling to the
    Puskesmas counselor: one case assessed elsewhere, one only offered."""
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
    return client, assessed, offered


@pytest.mark.parametrize("who", ["counselor_near", "facility_admin_kasongan"])
def test_staff_only_offered_a_case_get_neither_the_clients_other_escalations_nor_its_status(
    api, cast, offered_case, who
):
    """The leak: the feed sent offered-only staff (and their facility admin) every open escalation of the client,
    with the assessor, the facility and the outcome, and the client's status (methadone), all of which the API
    hides from them (404 on the other escalation, the minimal client record)."""
    client, assessed, offered = offered_case
    user = getattr(cast, who)
    assert api.as_(user).get(f"/escalations/{assessed.id}").status_code == 404
    items, _cursor, _pages = drain(api, user, limit=1000)
    assert ids_of(items, "escalation", op=None) == [str(offered.id)]
    sent = next(i["data"] for i in items if i["entity"] == "escalation")
    assert {key: sent[key] for key in EMPTY_CASE_COURSE} == EMPTY_CASE_COURSE
    assert sent["access"] == "minimal" and sent["need"] == "counseling" and sent["status"] == "offered"
    assert sent["offer"]["status"] == "pending" and sent["offer"]["expires_at"]
    [row] = [i["data"] for i in items if i["entity"] == "client"]
    assert row["id"] == str(client.id) and row["access"] == "minimal"
    assert "status" not in row and "updated_at" not in row and "name" not in row
    assert "methadone" not in str(items)


def test_the_assessor_who_has_the_case_gets_it_in_full_and_no_one_elses(api, cast, offered_case):
    client, assessed, offered = offered_case
    items, _cursor, _pages = drain(api, cast.assessor_near, limit=1000)
    assert ids_of(items, "escalation") == [str(assessed.id)]
    sent = items[[i["entity"] for i in items].index("escalation")]["data"]
    assert sent["access"] == "full" and sent["outcome"] == "methadone"
    assert sent["assigned_to_id"] == str(cast.assessor_near.id)
    row = next(i["data"] for i in items if i["entity"] == "client")
    assert row["access"] == "full" and row["status"] == "methadone"


def test_the_village_side_and_the_coordinator_still_get_every_case_in_full(api, cast, offered_case):
    _client, assessed, offered = offered_case
    for user in (cast.official_katingan, cast.coordinator_katingan):
        items, _cursor, _pages = drain(api, user, limit=1000)
        sent = {i["id"]: i["data"] for i in items if i["entity"] == "escalation"}
        assert set(sent) == {str(assessed.id), str(offered.id)}
        assert sent[str(assessed.id)]["outcome"] == "methadone"
        assert {d["access"] for d in sent.values()} == {"full"}


@pytest.mark.parametrize("how", ["declined", "expired", "withdrawn"])
def test_an_offer_that_ended_takes_the_case_and_the_client_off_the_staff_phone(api, cast, how):
    client = make_client(village="62.06.02.1003", by=cast.official_katingan)
    _case(
        client,
        staff=cast.counselor_near,
        facility=cast.pkm_kasongan,
        status="offered",
        need="counseling",
        offer_status=how,
    )
    items, _cursor, _pages = drain(api, cast.counselor_near, limit=1000)
    assert [i for i in items if i["entity"] != "notification"] == []


def test_a_volunteer_unassigned_from_a_client_stops_receiving_its_tasks(api, cast):
    """The leak: the feed sent a volunteer every task assigned to them, whatever the client, so a task of a client
    they no longer serve (its code and note) still reached their phone."""
    client = make_client(village="62.06.02.1003", by=cast.official_katingan)
    client.assigned_volunteers.add(cast.volunteer_talian)  # another village: in scope only while assigned
    task = Task.objects.create(
        kind="follow_up",
        client=client,
        assignee=cast.volunteer_talian,
        due_on=timezone.now().date(),
        note="antar ke Puskesmas",
        rule_key=f"uji:{client.id}",
    )
    items, _cursor, _pages = drain(api, cast.volunteer_talian, limit=1000)
    assert ids_of(items, "task") == [str(task.id)]
    client.assigned_volunteers.remove(cast.volunteer_talian)
    items, _cursor, _pages = drain(api, cast.volunteer_talian, limit=1000)
    assert ids_of(items, "task", op=None) == [] and ids_of(items, "client", op=None) == []


def test_a_stale_visit_edit_answered_with_the_stored_record_is_audited(api, cast):
    """The leak: a stale_version answer carries the stored visit (its notes) and no access log row said so."""
    client = make_client(village="62.06.02.1003", by=cast.official_katingan)
    visit = visit_payload(client, notes="mengaku memakai sabu lagi")
    assert upload(api, cast.volunteer_katingan, [visit]).json()["results"][0]["status"] == "created"
    reader = cast.official_katingan
    before = AccessLog.objects.filter(user=reader, endpoint="POST /sync/visits").count()
    result = upload(api, reader, [{**visit, "notes": "ubah", "version": 7}]).json()["results"][0]
    assert result["error"]["code"] == "stale_version" and result["current"]["notes"]
    logged = AccessLog.objects.filter(user=reader, endpoint="POST /sync/visits")
    assert logged.count() == before + 1 and logged.get().client_id == client.id


def test_a_visit_upload_that_shows_no_stored_record_is_not_audited(api, cast):
    client = make_client(village="62.06.02.1003", by=cast.official_katingan)
    visit = visit_payload(client)
    upload(api, cast.volunteer_katingan, [visit])
    upload(api, cast.volunteer_katingan, [visit])  # duplicate: answered with a version, not the record
    assert not AccessLog.objects.filter(endpoint="POST /sync/visits").exists()
