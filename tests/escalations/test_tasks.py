"""Field tasks: listing with overdue in the area's zone, completing explicitly and by logging a visit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from backend.recovery.models import Visit
from backend.sync.models import ChangeLog
from backend.tasks.models import Task
from backend.tasks.rules import post_rehab_tasks_plan, task_ensure, tasks_complete_for_visit
from tests.escalations.conftest import make_client

pytestmark = pytest.mark.django_db


def a_task(client, assignee, kind="follow_up", due=None, key=None):
    task, _ = task_ensure(
        kind=kind,
        assignee=assignee,
        due_on=due or date.today() + timedelta(days=2),
        rule_key=key or f"test:{uuid.uuid4()}",
        client_id=client.id,
    )
    return task


def a_visit(client, author, type_="home_visit", when=None):
    return Visit.objects.create(
        id=uuid.uuid4(),
        client=client,
        logged_by=author,
        occurred_at=when or timezone.now(),
        type=type_,
    )


def test_a_rule_creates_a_task_once(cast, client_kasongan):
    first = a_task(client_kasongan, cast.volunteer_katingan, key="rule:1")
    again = a_task(client_kasongan, cast.volunteer_katingan, key="rule:1")

    assert first.id == again.id
    assert Task.objects.filter(rule_key="rule:1").count() == 1


def test_a_volunteer_lists_their_own_tasks(api, cast, client_kasongan, client_mataram):
    mine = a_task(client_kasongan, cast.volunteer_katingan)
    a_task(client_mataram, cast.volunteer_mataram)

    body = api.as_(cast.volunteer_katingan).get("/tasks").json()

    assert [t["id"] for t in body["items"]] == [str(mine.id)]
    assert body["items"][0]["client_code"] == client_kasongan.code
    assert body["items"][0]["overdue"] is False


def test_a_coordinator_lists_their_areas_tasks(api, cast, client_kasongan, client_mataram):
    a_task(client_kasongan, cast.volunteer_katingan)
    a_task(client_mataram, cast.volunteer_mataram)

    assert api.as_(cast.coordinator_katingan).get("/tasks").json()["count"] == 1
    assert api.as_(cast.coordinator_katingan).get("/tasks", mine=True).json()["count"] == 0


def test_overdue_is_judged_by_the_calendar_of_the_clients_zone(api, cast, client_kasongan, client_mataram):
    """At 16:30 UTC on the 10th it is the 11th in Mataram (WITA) but still the 10th in Katingan (WIB):
    a task due on the 10th is overdue in Mataram only."""
    client_mataram.assigned_volunteers.add(cast.volunteer_katingan)  # their tasks follow the client's scope
    wib = a_task(client_kasongan, cast.volunteer_katingan, due=date(2026, 12, 10))
    wita = a_task(client_mataram, cast.volunteer_katingan, due=date(2026, 12, 10))

    with time_machine.travel(datetime(2026, 12, 10, 16, 30, tzinfo=UTC), tick=False):
        body = api.as_(cast.volunteer_katingan).get("/tasks").json()

    overdue = {t["id"]: t["overdue"] for t in body["items"]}
    assert overdue == {str(wib.id): False, str(wita.id): True}


def test_due_before_filters_inclusively(api, cast, client_kasongan):
    soon = a_task(client_kasongan, cast.volunteer_katingan, due=date(2026, 12, 10))
    a_task(client_kasongan, cast.volunteer_katingan, due=date(2026, 12, 20))

    body = api.as_(cast.volunteer_katingan).get("/tasks", due_before="2026-12-10").json()

    assert [t["id"] for t in body["items"]] == [str(soon.id)]


def test_the_assignee_completes_a_task_and_again_changes_nothing(api, cast, client_kasongan):
    task = a_task(client_kasongan, cast.volunteer_katingan)
    visit = a_visit(client_kasongan, cast.volunteer_katingan)
    url = f"/tasks/{task.id}/complete"

    first = api.as_(cast.volunteer_katingan).post(url, {"visit_id": str(visit.id), "note": "Sudah"})
    second = api.as_(cast.volunteer_katingan).post(url, {})

    assert first.status_code == 200 and first.json()["status"] == "done"
    assert first.json()["completed_by_visit"] == str(visit.id)
    assert second.status_code == 200 and second.json() == first.json()
    assert (
        ChangeLog.objects.filter(entity="task", entity_id=task.id, user_id=cast.volunteer_katingan.id).count()
        == 2
    )


def test_only_the_assignee_may_complete(api, cast, client_kasongan):
    task = a_task(client_kasongan, cast.volunteer_katingan)
    url = f"/tasks/{task.id}/complete"

    coordinator = api.as_(cast.coordinator_katingan).post(url, {})
    stranger = api.as_(cast.volunteer_mataram).post(url, {})

    assert coordinator.status_code == 403 and coordinator.json()["error"]["code"] == "not_your_task"
    assert stranger.status_code == 404


def test_a_visit_of_another_client_cannot_complete_a_task(api, cast, client_kasongan):
    task = a_task(client_kasongan, cast.volunteer_katingan)
    other = make_client(cast.kasongan_baru, cast.volunteer_katingan)
    visit = a_visit(other, cast.volunteer_katingan)

    response = api.as_(cast.volunteer_katingan).post(
        f"/tasks/{task.id}/complete", {"visit_id": str(visit.id)}
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "visit_id"


def test_logging_a_visit_completes_the_tasks_it_fits(cast, client_kasongan):
    accompany = a_task(client_kasongan, cast.volunteer_katingan, kind="accompany")
    follow_up = a_task(client_kasongan, cast.volunteer_katingan, kind="follow_up")
    someone_elses = a_task(client_kasongan, cast.official_katingan, kind="follow_up")

    done = tasks_complete_for_visit(visit=a_visit(client_kasongan, cast.volunteer_katingan, "phone_call"))

    assert [t.id for t in done] == [follow_up.id]
    accompany.refresh_from_db()
    someone_elses.refresh_from_db()
    assert accompany.status == "open" and someone_elses.status == "open"

    done = tasks_complete_for_visit(visit=a_visit(client_kasongan, cast.volunteer_katingan, "accompaniment"))
    assert [t.id for t in done] == [accompany.id]


def test_a_post_rehab_task_wants_a_post_rehab_or_home_visit(cast, client_kasongan):
    [task, *_] = post_rehab_tasks_plan(client_id=client_kasongan.id, tz="Asia/Jakarta")

    assert (
        tasks_complete_for_visit(visit=a_visit(client_kasongan, cast.volunteer_katingan, "group_session"))
        == []
    )
    done = tasks_complete_for_visit(visit=a_visit(client_kasongan, cast.volunteer_katingan, "home_visit"))
    assert task.id in {t.id for t in done}


def test_a_visit_from_before_the_task_existed_completes_nothing(cast, client_kasongan):
    a_task(client_kasongan, cast.volunteer_katingan)
    old = a_visit(client_kasongan, cast.volunteer_katingan, when=timezone.now() - timedelta(days=3))

    assert tasks_complete_for_visit(visit=old) == []


def test_post_rehab_support_is_planned_at_7_30_and_90_days(cast, client_kasongan):
    start = date(2026, 12, 1)

    tasks = post_rehab_tasks_plan(client_id=client_kasongan.id, tz="Asia/Jakarta", start=start)
    again = post_rehab_tasks_plan(client_id=client_kasongan.id, tz="Asia/Jakarta", start=start)

    assert sorted(t.due_on for t in tasks) == [date(2026, 12, 8), date(2026, 12, 31), date(2027, 3, 1)]
    assert {t.id for t in again} == {t.id for t in tasks}


def test_an_accompaniment_uploaded_through_sync_completes_the_accompany_task(api, cast, client_kasongan):
    """End to end: escalate, accept, schedule; the volunteer's phone then uploads the accompaniment visit."""
    volunteer, counselor = api.as_(cast.volunteer_katingan), api.as_(cast.counselor_near)
    esc = volunteer.post(
        "/escalations",
        {
            "client_id": str(client_kasongan.id),
            "need": "counseling",
            "urgency": "routine",
            "reason": "Tinggi",
        },
    ).json()
    counselor.post(f"/escalations/{esc['id']}/accept")
    appointment = timezone.now() + timedelta(hours=3)
    counselor.post(f"/escalations/{esc['id']}/schedule", {"appointment_at": appointment.isoformat()})
    task = Task.objects.get(escalation_id=esc["id"], kind="accompany")
    visit_id = str(uuid.uuid4())

    with time_machine.travel(appointment + timedelta(hours=1)):
        response = volunteer.post(
            "/sync/visits",
            {
                "visits": [
                    {
                        "id": visit_id,
                        "client_id": str(client_kasongan.id),
                        "occurred_at": (appointment + timedelta(minutes=30)).isoformat(),
                        "type": "accompaniment",
                    }
                ]
            },
        )

    assert response.status_code == 200, response.json()
    task.refresh_from_db()
    assert task.status == "done"
    assert str(task.completed_by_visit) == visit_id


def test_the_task_list_costs_the_same_queries_for_one_or_many(
    api, cast, client_kasongan, client_mataram, django_assert_max_num_queries
):
    client_mataram.assigned_volunteers.add(cast.volunteer_katingan)  # their tasks follow the client's scope
    for i in range(8):
        a_task(client_kasongan if i % 2 else client_mataram, cast.volunteer_katingan)
    with django_assert_max_num_queries(6):
        body = api.as_(cast.volunteer_katingan).get("/tasks", limit=5).json()
    assert body["count"] == 8 and len(body["items"]) == 5


def test_a_walk_through_the_pages_gives_the_open_tasks_then_the_closed_each_once_with_the_count(
    api, cast, client_kasongan
):
    """The open tasks and the count of the closed ones come from one statement (reads/tasks.py): pages across
    the boundary give every task once, open first, and the same count on every page."""
    tasks = [
        a_task(client_kasongan, cast.volunteer_katingan, due=date.today() + timedelta(days=i))
        for i in range(7)
    ]
    Task.objects.filter(id__in=[t.id for t in tasks[:3]]).update(status="done")
    Task.objects.filter(id=tasks[3].id).update(status="cancelled")
    seen, counts = [], set()
    for offset in range(0, 8, 3):
        body = api.as_(cast.volunteer_katingan).get("/tasks", limit=3, offset=offset).json()
        seen += [(item["id"], item["status"]) for item in body["items"]]
        counts.add(body["count"])
    assert counts == {7} and len(seen) == 7 and len({i for i, _s in seen}) == 7
    assert [status for _i, status in seen[:3]] == ["open"] * 3
    assert {status for _i, status in seen[3:]} == {"done", "cancelled"}
    assert [i for i, _s in seen[:3]] == [str(t.id) for t in tasks[4:]]  # soonest due first


# --- Tasks follow the client's scope; extreme dates --------------------------------------------------------


def test_an_unassigned_volunteer_loses_the_clients_tasks(api, cast):
    """Leak: a volunteer unassigned from a client (of another village) kept listing and completing the
    client's tasks, each carrying the client's code."""
    client = make_client(cast.talian_kereng, cast.volunteer_talian, volunteers=(cast.volunteer_katingan,))
    task = Task.objects.create(
        kind="follow_up",
        client=client,
        assignee=cast.volunteer_katingan,
        due_on=date.today() + timedelta(days=2),
        rule_key=f"test:unassign:{client.id}",
    )
    volunteer = api.as_(cast.volunteer_katingan)
    assert [t["id"] for t in volunteer.get("/tasks").json()["items"]] == [str(task.id)]

    client.refresh_from_db()
    unassign = api.as_(cast.coordinator_katingan).patch(
        f"/clients/{client.id}", {"version": client.version, "assigned_volunteer_ids": []}
    )
    assert unassign.status_code == 200, unassign.content

    assert volunteer.get("/tasks").json()["items"] == []
    completed = volunteer.post(f"/tasks/{task.id}/complete", {"note": "sudah"})
    assert completed.status_code == 404
    assert completed.json()["error"]["code"] == "task_not_found"
    assert Task.objects.get(id=task.id).status == "open"


def test_a_task_list_due_before_the_last_representable_day_answers_200(api, cast):
    assert api.as_(cast.volunteer_katingan).get("/tasks", due_before="9999-12-31").status_code == 200
    assert api.as_(cast.volunteer_katingan).get("/tasks", due_before="0000-01-01").status_code == 422


def test_the_task_list_shows_every_kind_of_task(api, cast):  # type: ignore[no-untyped-def]
    """GET /tasks answered 500 once a follow-up task existed: its schema listed only the first four kinds."""
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    kinds = ["follow_up_contact", "follow_up_village", "client_handover", "accompany"]
    for kind in kinds:
        a_task(client, cast.volunteer_katingan, kind=kind)

    response = api.as_(cast.volunteer_katingan).get("/tasks")

    assert response.status_code == 200, response.content
    assert sorted(t["kind"] for t in response.json()["items"]) == sorted(kinds)
