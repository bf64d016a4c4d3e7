"""The heart of Pulih, through the API only, as the people in the field would do it.

A volunteer in Kasongan Baru registers a client with consent, screens them (opioids, injecting: high risk), which
escalates the case; the nearest certified assessor is offered it and accepts; the volunteer is told and, once
staff schedule the appointment, receives the accompany task; the accompaniment logged offline and uploaded
completes it; the volunteer's phone learns all of it from /sync/changes; the coordinator's monthly report
counts it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from backend.escalations.models import Offer
from tests.sync.helpers import settle

# Committed transactions, as in production: the change feed serves only what other transactions committed.
pytestmark = pytest.mark.django_db(transaction=True)

NEVER = {"q1": False}


def _answers() -> dict:
    answers = {
        s: dict(NEVER)
        for s in (
            "tobacco",
            "alcohol",
            "cannabis",
            "cocaine",
            "amphetamines",
            "inhalants",
            "sedatives",
            "hallucinogens",
            "other",
        )
    }
    answers["opioids"] = {"q1": True, "q2": 6, "q3": 6, "q4": 7, "q5": 8, "q6": 6, "q7": 6}
    return answers


def test_a_case_travels_from_the_village_to_the_assessor_and_back(api, cast):
    volunteer = api.as_(cast.volunteer_katingan)

    # 1. Register with consent for data collection and referral.
    response = volunteer.post(
        "/clients",
        {
            "name": "Budi (alias)",
            "sex": "male",
            "birth_year": 1998,
            "village_code": "62.06.02.1003",
            "substances": ["opioids"],
            "assigned_volunteer_ids": [str(cast.volunteer_katingan.id)],
            "consents": [
                {"scope": "data_collection", "given": True, "given_by": "client"},
                {"scope": "referral", "given": True, "given_by": "client"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    client = response.json()
    assert client["code"].startswith("KTG-")

    # 2. Screen: high risk for opioids and injecting in the last 3 months escalates for assessment.
    response = volunteer.post(
        f"/clients/{client['id']}/screenings",
        {
            "id": str(uuid.uuid4()),
            "answers": _answers(),
            "q8": 2,
        },
    )
    assert response.status_code == 201, response.content
    screening = response.json()
    assert screening["injected_recently"] is True
    escalation_id = (
        screening["escalation"]["id"]
        if isinstance(screening["escalation"], dict)
        else screening["escalation"]
    )
    assert escalation_id

    # 3. The nearest eligible assessor (RSUD Mas Amsyar Kasongan; the expired one at the puskesmas is passed over)
    #    has the offer and accepts it from the phone.
    offer = Offer.objects.get(escalation_id=escalation_id, status="pending")
    assert offer.staff_id == cast.assessor_near.id
    staff = api.as_(cast.assessor_near)
    detail = staff.get(f"/clients/{client['id']}").json()
    assert "name" not in detail or detail["name"] in (None, "")  # minimal view while only offered
    assert staff.post(f"/escalations/{escalation_id}/accept").status_code == 200
    assert staff.get(f"/clients/{client['id']}").json()["name"] == "Budi (alias)"
    assert volunteer.get("/notifications/unread-count").json()["count"] >= 1

    # 4. Staff schedule the appointment: the volunteer gets the accompany task.
    appointment = (timezone.now() + timedelta(days=2)).isoformat()
    assert (
        staff.post(f"/escalations/{escalation_id}/schedule", {"appointment_at": appointment}).status_code
        == 200
    )
    tasks = volunteer.get("/tasks", status="open").json()["items"]
    accompany = [t for t in tasks if t["kind"] == "accompany"]
    assert len(accompany) == 1

    # 5. The phone's first sync holds the client, the open task and the open escalation.
    def drain(cursor=None):
        seen: dict[tuple[str, str], dict] = {}
        for _ in range(10):
            page = volunteer.get("/sync/changes", **({"cursor": cursor} if cursor else {}), limit=500).json()
            seen.update({(i["entity"], i["id"]): i for i in page["items"]})
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return seen, cursor
        raise AssertionError("the feed did not end")

    first, cursor = drain()
    expected = {("client", client["id"]), ("task", accompany[0]["id"]), ("escalation", str(escalation_id))}
    assert expected - set(first) == set()

    # 6. The accompaniment is logged offline and uploaded; the task completes itself.
    visit = {
        "id": str(uuid.uuid4()),
        "client_id": client["id"],
        "occurred_at": timezone.now().isoformat(),
        "type": "accompaniment",
        "participants": ["client"],
        "notes": "diantar ke RSUD",
    }
    response = volunteer.post(
        "/sync/visits", {"visits": [visit]}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert [r["status"] for r in response.json()["results"]] == ["created"]
    task = volunteer.get("/tasks", status="done").json()["items"]
    assert [t["id"] for t in task] == [accompany[0]["id"]]

    # 7. The next sync brings the visit and the task, now done (once no other session holds the horizon back).
    settle()
    later, _cursor = drain(cursor)
    assert later[("visit", visit["id"])]["op"] == "upsert"
    assert later[("task", accompany[0]["id"])]["data"]["status"] == "done"

    # 8. The other region sees none of it.
    assert api.as_(cast.volunteer_mataram).get(f"/clients/{client['id']}").status_code == 404
    assert api.as_(cast.counselor_mataram).get(f"/escalations/{escalation_id}").status_code == 404

    # 9. The coordinator's monthly report counts the escalation accepted this month.
    month = timezone.localtime(timezone.now(), timezone=ZoneInfo("Asia/Jakarta"))
    report = api.as_(cast.coordinator_katingan).get(
        "/reports/monthly", area="62.06", month=month.strftime("%Y-%m")
    )
    assert report.status_code == 200, report.content
    figures = report.json()["total"]["figures"]
    assert (figures["clients_registered"], figures["escalations_accepted"], figures["visits"]) == (1, 1, 1)
