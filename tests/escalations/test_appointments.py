"""Appointments: `appointment_at` must carry a UTC offset and lie within a year; a rescheduled appointment keeps
the earlier one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.escalations.helpers import escalate_accepted as _accepted

pytestmark = pytest.mark.django_db


# --- appointment_at: aware, and within a year --------------------------------------------------------------


def test_an_appointment_without_a_utc_offset_is_refused_with_422_on_the_field(api, cast, client_kasongan):
    """Bug: a naive appointment_at reached the database comparison and answered 500."""
    esc = _accepted(api, cast, client_kasongan)
    naive = (timezone.now() + timedelta(days=2)).replace(tzinfo=None).isoformat()

    response = api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/schedule", {"appointment_at": naive})

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["appointment_at"]


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59+07:00", "9999-12-31T23:59:59-12:00"])
def test_an_appointment_years_ahead_is_refused_with_422_on_the_field(api, cast, client_kasongan, value):
    """Bug: 9999-12-31 overflowed while computing the task's due date and answered 500."""
    esc = _accepted(api, cast, client_kasongan)

    response = api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/schedule", {"appointment_at": value})

    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == ("appointment_at", "too_far_ahead")


def test_an_appointment_eleven_months_ahead_is_fine(api, cast, client_kasongan):
    esc = _accepted(api, cast, client_kasongan)
    when = (timezone.now() + timedelta(days=330)).isoformat()
    response = api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/schedule", {"appointment_at": when})
    assert response.status_code == 200, response.json()


# --- Appointment history -----------------------------------------------------------------------------------


def test_a_rescheduled_appointment_keeps_the_earlier_one(api, cast, client_kasongan):
    """Bug: moving an appointment erased the earlier date from the escalation (and the client's timeline)."""
    esc = _accepted(api, cast, client_kasongan)
    counselor = api.as_(cast.counselor_near)
    first = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    second = first + timedelta(days=5)
    counselor.post(f"/escalations/{esc.id}/schedule", {"appointment_at": first.isoformat()})

    body = counselor.post(f"/escalations/{esc.id}/schedule", {"appointment_at": second.isoformat()}).json()

    assert body["appointment_at"].startswith(second.strftime("%Y-%m-%dT"))
    assert [p["appointment_at"] for p in body["previous_appointments"]] == [
        first.isoformat().replace("+00:00", "Z")
    ]
    assert body["previous_appointments"][0]["replaced_by"] == str(cast.counselor_near.id)
