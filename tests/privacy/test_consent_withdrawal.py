"""Withdrawal of data-collection consent is honoured everywhere (issue 10; UU 27/2022: processing stops within
3x24 hours). Through the API: edits refused (409 `consent_withdrawn`), the record out of every scope but the
area coordinators' (marked `consent_withdrawn_at`), open work called off, staff holding the case told without
client data in the push; through the sweeps, days later: no task, message, escalation or notification about the
client, while a consenting twin in the same state gets them (so these tests can fail)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.common.errors import ConsentWithdrawnError
from backend.escalations.models import Escalation, EscalationStatus, Offer
from backend.escalations.services import appointments_missed_sweep, escalation_create, offers_expire
from backend.followup.sweep import followup_sweep
from backend.recovery.models import Client
from backend.tasks.models import Task, TaskKind, TaskStatus
from backend.tasks.rules import post_rehab_tasks_plan, task_ensure
from notifications.models import Notification
from notifications.texts import render_push
from tests.escalations.conftest import make_client
from tests.escalations.helpers import escalate, in_hours
from tests.recovery.helpers import fast_password_hashing  # noqa: F401
from tests.sync.helpers import upload, visit_payload

pytestmark = pytest.mark.django_db

WITHDRAW = {"scope": "data_collection", "given": False, "given_by": "client"}


def withdraw(api, user, client):  # type: ignore[no-untyped-def]
    response = api.as_(user).post(f"/clients/{client.id}/consents", WITHDRAW)
    assert response.status_code == 201, response.content
    return response


def taken_case(api, cast, client) -> Escalation:  # type: ignore[no-untyped-def]
    """Offered to counselor_near, accepted, an appointment in two hours."""
    esc = escalate(cast, client)
    as_staff = api.as_(cast.counselor_near)
    assert as_staff.post(f"/escalations/{esc.id}/accept").status_code == 200
    scheduled = as_staff.post(f"/escalations/{esc.id}/schedule", {"appointment_at": in_hours(2)})
    assert scheduled.status_code == 200, scheduled.content
    return esc


@pytest.fixture
def client(cast) -> Client:
    return make_client(
        cast.kasongan_baru,
        cast.volunteer_katingan,
        volunteers=(cast.volunteer_katingan,),
        status="community_recovery",
    )


def test_after_withdrawal_every_write_answers_409_consent_withdrawn(api, cast, client):
    withdraw(api, cast.volunteer_katingan, client)
    writes = [
        ("patch", f"/clients/{client.id}", {"version": client.version, "notes": "x"}),
        ("post", f"/clients/{client.id}/transitions", {"to": "post_rehab", "reason": "x"}),
        (
            "post",
            f"/clients/{client.id}/family-members",
            {"id": "0b9d5f7e-4f2a-4d8e-9a37-1d1c1a9b2c3d", "name": "Ibu", "relationship": "ibu"},
        ),
        ("post", f"/clients/{client.id}/consents", {"scope": "referral", "given": True}),
        (
            "post",
            "/escalations",
            {"client_id": str(client.id), "need": "counseling", "urgency": "routine", "reason": "x"},
        ),
    ]
    for who in (
        cast.volunteer_katingan,
        cast.official_katingan,
        cast.coordinator_katingan,
        cast.system_admin,
    ):
        for method, path, body in writes:
            response = getattr(api.as_(who), method)(path, body)
            assert response.status_code == 409, (who.name, path, response.content)
            assert response.json()["error"]["code"] == "consent_withdrawn"
    # someone who never saw the client still learns nothing: 404
    assert api.as_(cast.volunteer_mataram).patch(f"/clients/{client.id}", {"version": 1}).status_code == 404
    # a visit sent from a phone that had not synced yet is rejected, and nothing is stored
    result = upload(api, cast.volunteer_katingan, [visit_payload(client)]).json()["results"][0]
    assert result["status"] == "rejected"
    assert not client.visits.exists()
    assert Client.objects.get(id=client.id).version == client.version


def test_what_remains_is_seen_by_the_area_coordinators_alone_marked_consent_withdrawn(api, cast, client):
    withdraw(api, cast.volunteer_katingan, client)
    for who in (
        cast.volunteer_katingan,
        cast.official_katingan,
        cast.counselor_near,
        cast.coordinator_mataram,
    ):
        assert api.as_(who).get(f"/clients/{client.id}").status_code == 404
        assert str(client.id) not in api.as_(who).get("/clients").content.decode()
    for who in (cast.coordinator_katingan, cast.coordinator_kalteng, cast.system_admin):
        record = api.as_(who).get(f"/clients/{client.id}").json()
        assert record["consent_withdrawn_at"] is not None
        assert record["consents"]["data_collection"] is False
        rows = {r["id"]: r for r in api.as_(who).get("/clients").json()["items"]}
        assert rows[str(client.id)]["consent_withdrawn_at"] == record["consent_withdrawn_at"]


def test_open_work_is_called_off_and_the_staff_holding_the_case_are_told_without_client_data(
    api, cast, client
):
    taken = taken_case(api, cast, client)
    untaken = escalate(cast, client, need="assessment")
    assert untaken.status == EscalationStatus.OFFERED
    accompany = Task.objects.get(escalation_id=taken.id, kind=TaskKind.ACCOMPANY)
    assert accompany.status == TaskStatus.OPEN

    withdraw(api, cast.volunteer_katingan, client)

    untaken.refresh_from_db()
    assert untaken.status == EscalationStatus.CANCELLED
    assert untaken.cancel_reason == "Persetujuan pengumpulan data ditarik."
    assert not Task.objects.filter(client_id=client.id, status=TaskStatus.OPEN).exists()
    told = Notification.objects.get(recipient=cast.counselor_near, kind="client_consent_withdrawn")
    assert set(told.data) == {"escalation_id", "client_id"}
    title, body = render_push("client_consent_withdrawn")
    assert client.code not in title + body and client.name not in title + body
    # the staff member still sees their case (to close it), not the client's record
    assert api.as_(cast.counselor_near).get(f"/escalations/{taken.id}").status_code == 200
    assert api.as_(cast.counselor_near).get(f"/clients/{client.id}").status_code == 404
    assert api.as_(cast.counselor_near).post(f"/escalations/{taken.id}/close").status_code == 200


def _about(client: Client, since) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """What was made about `client` after `since`."""
    return {
        "tasks": Task.objects.filter(client_id=client.id, created_at__gt=since).count(),
        "notifications": Notification.objects.filter(
            data__client_id=str(client.id), created_at__gt=since
        ).count(),
        "escalations": Escalation.objects.filter(client_id=client.id, created_at__gt=since).count(),
        "offers": Offer.objects.filter(escalation__client_id=client.id, offered_at__gt=since).count(),
    }


def test_no_sweep_makes_a_task_message_or_escalation_about_the_client_afterwards(api, cast, time_machine):
    time_machine.move_to("2026-06-01 09:00:00+07:00", tick=False)
    people = {"volunteers": (cast.volunteer_katingan,), "status": "community_recovery"}
    gone = make_client(cast.kasongan_baru, cast.volunteer_katingan, **people)
    twin = make_client(cast.kasongan_baru, cast.volunteer_katingan, **people)
    for c in (gone, twin):
        taken_case(api, cast, c)
        escalate(cast, c, need="assessment")  # offered, its SLA runs out below
    withdraw(api, cast.volunteer_katingan, gone)
    since = timezone.now()

    for days in (1, 3, 15):  # within 3x24 hours, and long after
        time_machine.move_to(since + timedelta(days=days, hours=1), tick=False)
        offers_expire()
        appointments_missed_sweep()
        followup_sweep()
        post_rehab_tasks_plan(client_id=gone.id, tz="Asia/Jakarta")
        post_rehab_tasks_plan(client_id=twin.id, tz="Asia/Jakarta")

    assert _about(gone, since) == {"tasks": 0, "notifications": 0, "escalations": 0, "offers": 0}
    made = _about(twin, since)
    assert made["tasks"] > 0 and made["notifications"] > 0 and made["offers"] > 0, made
    with pytest.raises(ConsentWithdrawnError):
        task_ensure(
            kind=TaskKind.FOLLOW_UP,
            assignee=cast.volunteer_katingan,
            due_on=timezone.localdate(),
            rule_key="x",
            client_id=gone.id,
        )
    with pytest.raises(Exception) as refused:
        escalation_create(actor=None, client=gone, need="counseling", urgency="urgent", reason="x")
    assert getattr(refused.value, "status", None) == 409


def test_a_coordinator_recording_consent_again_opens_the_record(api, cast, client):
    withdraw(api, cast.volunteer_katingan, client)
    response = api.as_(cast.coordinator_katingan).post(
        f"/clients/{client.id}/consents", {"scope": "data_collection", "given": True}
    )
    assert response.status_code == 201, response.content
    record = api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}").json()
    assert record["consent_withdrawn_at"] is None
    patched = api.as_(cast.volunteer_katingan).patch(
        f"/clients/{client.id}", {"version": record["version"], "notes": "kembali"}
    )
    assert patched.status_code == 200
