"""Optimistic concurrency on cases and tasks: a stale `version` answers 409 `stale_version` with the current
record; without a version (or a body) the step still works."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.tasks.models import Task
from tests.escalations.helpers import escalate as _escalate
from tests.escalations.helpers import escalate_accepted as _accepted

pytestmark = pytest.mark.django_db


def test_a_stale_version_on_cancel_close_and_assign_answers_409_with_the_current_record(
    api, cast, client_kasongan
):
    esc = _escalate(cast, client_kasongan)
    stale = esc.version - 1
    coordinator = api.as_(cast.coordinator_katingan)
    for path, body in (
        ("assign", {"staff_id": str(cast.counselor_far.id), "version": stale}),
        ("cancel", {"reason": "Ditarik", "version": stale}),
    ):
        response = coordinator.post(f"/escalations/{esc.id}/{path}", body)
        assert response.status_code == 409, (path, response.json())
        assert response.json()["error"]["code"] == "stale_version"
        assert response.json()["current"]["version"] == esc.version

    api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/accept")
    counselor = api.as_(cast.counselor_near)
    response = counselor.post(f"/escalations/{esc.id}/close", {"version": 1})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"
    current = counselor.get(f"/escalations/{esc.id}").json()["version"]
    assert counselor.post(f"/escalations/{esc.id}/close", {"version": current}).json()["status"] == "closed"


def test_close_without_a_body_still_works(api, cast, client_kasongan):
    esc = _accepted(api, cast, client_kasongan)
    assert api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/close").json()["status"] == "closed"


def test_completing_a_task_with_a_stale_version_answers_409(api, cast, client_kasongan):
    esc = _accepted(api, cast, client_kasongan)
    when = (timezone.now() + timedelta(days=2)).isoformat()
    api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/schedule", {"appointment_at": when})
    task = Task.objects.get(escalation=esc, kind="accompany")
    volunteer = api.as_(cast.volunteer_katingan)

    stale = volunteer.post(f"/tasks/{task.id}/complete", {"version": task.version + 1})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    assert stale.json()["current"]["id"] == str(task.id)

    done = volunteer.post(f"/tasks/{task.id}/complete", {"version": task.version})
    assert done.status_code == 200 and done.json()["status"] == "done"
