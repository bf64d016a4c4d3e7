"""What the app shows of the follow-up: the client record's level, reason and next due contact, the last contact
and a flagged phone; `GET /clients?follow_up=overdue|lost`; the attempts in their own list, the timeline and the
feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.audit.models import AccessLog
from backend.followup.sweep import followup_sweep
from tests.factories import VisitFactory
from tests.followup.helpers import client_in, log
from tests.sync.helpers import drain

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 WITA in Mataram


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(DAY0, tick=False)

    def on(day: int) -> None:
        time_machine.move_to(DAY0 + timedelta(days=day), tick=False)

    return on


def test_the_record_shows_the_ladder_from_the_due_day_to_the_episode(api, cast, clock):
    client = client_in(cast.ampenan_selatan.code, volunteers=[cast.volunteer_mataram])
    as_volunteer = api.as_(cast.volunteer_mataram)
    record = as_volunteer.get(f"/clients/{client.id}").json()
    assert record["follow_up"] == {
        "level": 0,
        "since": None,
        "reason": None,
        "next_contact_due_on": "2026-03-16",  # registered 2 March (WITA), never contacted: 14 days
    }
    assert (record["last_contact_at"], record["phone_flagged"]) == (None, False)
    for day in range(1, 15):
        clock(day)
        followup_sweep()
    record = as_volunteer.get(f"/clients/{client.id}").json()
    assert record["follow_up"]["level"] == 1
    assert (record["follow_up"]["since"], record["follow_up"]["reason"]) == ("2026-03-16", "no_contact")


def test_a_reach_moves_the_due_day_and_a_wrong_number_flags_the_phone(api, cast, clock):
    client = client_in(cast.ampenan_selatan.code, volunteers=[cast.volunteer_mataram], phone="081355550001")
    clock(3)
    assert log(cast.volunteer_mataram, client, "reached")["status"] == "created"
    assert log(cast.volunteer_mataram, client, "wrong_number")["status"] == "created"
    record = api.as_(cast.volunteer_mataram).get(f"/clients/{client.id}").json()
    assert record["last_contact_at"] is not None
    assert record["phone_flagged"] is True
    # Reached on 5 March (WITA): due 14 days later.
    assert record["follow_up"]["next_contact_due_on"] == "2026-03-19"


def test_the_list_filters_clients_overdue_and_lost(api, cast, clock):
    overdue = client_in(cast.ampenan_selatan.code, volunteers=[cast.volunteer_mataram])
    seen = client_in(cast.ampenan_selatan.code, volunteers=[cast.volunteer_mataram])
    lost = client_in(cast.ampenan_selatan.code, volunteers=[cast.volunteer_mataram], status="lost_contact")
    for day in range(1, 15):
        clock(day)
        if day == 10:
            VisitFactory(client=seen, logged_by=cast.volunteer_mataram)
        followup_sweep()
    as_coordinator = api.as_(cast.coordinator_mataram)
    page = as_coordinator.get("/clients", follow_up="overdue").json()
    assert [(i["id"], i["follow_up_level"]) for i in page["items"]] == [(str(overdue.id), 1)]
    page = as_coordinator.get("/clients", follow_up="lost").json()
    assert [i["id"] for i in page["items"]] == [str(lost.id)]
    everyone = as_coordinator.get("/clients").json()["items"]
    assert {i["id"] for i in everyone} == {str(overdue.id), str(seen.id), str(lost.id)}
    assert as_coordinator.get("/clients", follow_up="late").status_code == 422
    # Out of scope, nothing: Katingan's coordinator sees none of Mataram's clients.
    assert api.as_(cast.coordinator_katingan).get("/clients", follow_up="overdue").json()["items"] == []


def test_attempts_are_listed_in_the_timeline_and_reach_the_phone(api, cast, clock):
    client = client_in(cast.ampenan_selatan.code, volunteers=[cast.volunteer_mataram])
    answer = log(cast.volunteer_mataram, client, "no_answer", note="HP tidak aktif")
    page = api.as_(cast.coordinator_mataram).get(f"/clients/{client.id}/contact-attempts").json()
    (item,) = page["items"]
    assert (item["id"], item["result"], item["channel"], item["note"]) == (
        answer["id"],
        "no_answer",
        "phone_call",
        "HP tidak aktif",
    )
    assert item["logged_by"]["id"] == str(cast.volunteer_mataram.id)
    assert AccessLog.objects.filter(
        user=cast.coordinator_mataram, client_id=client.id, endpoint="GET /clients/{id}/contact-attempts"
    ).exists()
    timeline = api.as_(cast.coordinator_mataram).get(f"/clients/{client.id}/timeline").json()["items"]
    assert [(i["kind"], i["data"]["result"]) for i in timeline if i["kind"] == "contact_attempt"] == [
        ("contact_attempt", "no_answer")
    ]
    items, _cursor, _pages = drain(api, cast.volunteer_mataram)
    attempts = [i for i in items if i["entity"] == "contact_attempt"]
    assert [(i["id"], i["data"]["result"]) for i in attempts] == [(answer["id"], "no_answer")]
    assert api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}/contact-attempts").status_code == 404
