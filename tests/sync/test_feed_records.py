"""One record per entity: what the sync feed sends of a row (`data`) is the record the API builds for the same
user and row (the domain's records function, in its JSON form), and what the API's endpoints answer with.

For each entity a full-access viewer (the volunteer of the client's village), and a minimal-view viewer where the
entity has one (client and escalation: the counselor merely offered the case).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from api.schemas.clients import ClientOut, FamilyMemberOut, VisitOut
from api.schemas.escalations import EscalationOut, TaskOut
from api.schemas.notifications import NotificationOut
from backend.access.policy import client_qs_with_access_for, escalation_qs_for, with_case_view
from backend.mobile.feed import record_json
from backend.mobile.visit_writes import visit_create
from backend.reads.clients import client_records, family_member_records
from backend.reads.escalation_records import escalation_records
from backend.recovery.models import FamilyMember, Visit
from backend.recovery.records import visit_records
from backend.tasks.models import Task
from backend.tasks.records import task_records
from notifications.models import Notification
from notifications.records import notification_records
from tests.sync.helpers import drain, make_client, make_member, visit_payload
from tests.sync.test_feed_privacy import _case

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):  # type: ignore[no-untyped-def]
    """A client on methadone in Kasongan Baru with a volunteer, a family member, two visits (one without a
    location), an open task, a notification, a case assessed at RSUD and one offered to counselor_near."""
    client = make_client(village="62.06.02.1003", by=cast.official_katingan, status="methadone")
    client.assigned_volunteers.add(cast.volunteer_katingan)
    member = make_member(client=client, by=cast.official_katingan, phone="081200000009")
    visits = [
        visit_create(
            actor=cast.volunteer_katingan, data=visit_payload(client, participants=["client", str(member.id)])
        ),
        visit_create(
            actor=cast.volunteer_katingan,
            data=visit_payload(client, latitude=None, longitude=None, location_accuracy_m=None),
        ),
    ]
    task = Task.objects.create(
        kind="follow_up",
        client=client,
        assignee=cast.volunteer_katingan,
        due_on=timezone.now().date() - timedelta(days=1),
        note="antar ke Puskesmas",
        rule_key=f"uji:{client.id}",
    )
    notification = Notification.objects.create(
        recipient=cast.volunteer_katingan,
        kind="task_assigned",
        event_key=f"uji:{task.id}",
        title="Tugas baru",
        body="Tugas baru untuk klien",
        data={"task_id": str(task.id)},
    )
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
    return {
        "client": client,
        "member": member,
        "visits": visits,
        "task": task,
        "notification": notification,
        "assessed": assessed,
        "offered": offered,
    }


def _feed(api, user) -> dict[tuple[str, str], Any]:  # type: ignore[no-untyped-def]
    items, _cursor, _pages = drain(api, user, limit=1000)
    return {(i["entity"], i["id"]): i["data"] for i in items if i["op"] == "upsert"}


def _json(record: Any) -> Any:
    """The record's JSON form, as the feed writes it."""
    return json.loads(record_json(record))


_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT")


def _instants(value: Any) -> Any:
    """Times as instants: the API writes them in milliseconds with `Z`, the feed in microseconds with +00:00."""
    if isinstance(value, dict):
        return {k: _instants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_instants(v) for v in value]
    if isinstance(value, str) and _INSTANT.match(value):
        instant = datetime.fromisoformat(value)
        return instant.replace(microsecond=instant.microsecond // 1000 * 1000)
    return value


def _as_api_answers(feed: dict[str, Any], answer: dict[str, Any]) -> None:
    """Every field the feed sends is in the API's answer (declared in its schema), with the same value."""
    assert set(feed) <= set(answer), set(feed) - set(answer)
    assert _instants(feed) == _instants({key: answer[key] for key in feed})


def test_a_client_in_full(api, cast, world):
    user, client = cast.volunteer_katingan, world["client"]
    sent = _feed(api, user)[("client", str(client.id))]
    rows = list(client_qs_with_access_for(user=user).filter(id=client.id))
    assert sent == _json(client_records(user=user, clients=rows)[client.id])
    assert sent["access"] == "full" and sent["status"] == "methadone"
    assert sent["assigned_volunteer_ids"] == [str(cast.volunteer_katingan.id)]
    assert [m["phone"] for m in sent["family_members"]] == ["081200000009"]
    _as_api_answers(sent, api.as_(user).get(f"/clients/{client.id}").json())


def test_a_client_in_the_minimal_view(api, cast, world):
    user, client = cast.counselor_near, world["client"]
    sent = _feed(api, user)[("client", str(client.id))]
    rows = list(client_qs_with_access_for(user=user).filter(id=client.id))
    assert sent == _json(client_records(user=user, clients=rows)[client.id])
    assert sent["access"] == "minimal" and sent["escalation"]["id"] == str(world["offered"].id)
    for hidden in ("name", "phone", "address", "status", "notes", "family_members", "consents"):
        assert hidden not in sent
    _as_api_answers(sent, api.as_(user).get(f"/clients/{client.id}").json())


def test_a_family_member(api, cast, world):
    user, client, member = cast.volunteer_katingan, world["client"], world["member"]
    sent = _feed(api, user)[("family_member", str(member.id))]
    members = list(FamilyMember.objects.filter(id=member.id))
    assert sent == _json(family_member_records(user=user, members=members)[member.id])
    assert sent["client_ids"] == [str(client.id)] and sent["phone"] == "081200000009"
    [nested] = api.as_(user).get(f"/clients/{client.id}").json()["family_members"]
    _as_api_answers(sent, nested)


def test_visits(api, cast, world):
    user, client = cast.volunteer_katingan, world["client"]
    feed = _feed(api, user)
    records = visit_records(user=user, visits=Visit.objects.filter(client=client))
    answers = {v["id"]: v for v in api.as_(user).get(f"/clients/{client.id}/visits").json()["items"]}
    for visit in world["visits"]:
        sent = feed[("visit", str(visit.id))]
        assert sent == _json(records[visit.id])
        _as_api_answers(sent, answers[str(visit.id)])
    located, unlocated = (feed[("visit", str(v.id))] for v in world["visits"])
    assert located["location"] == {"lat": located["latitude"], "lon": located["longitude"]}
    assert unlocated["location"] is None and unlocated["latitude"] is None
    assert located["logged_by"] == {"id": str(user.id), "name": user.name}


def test_a_task(api, cast, world):
    user, task = cast.volunteer_katingan, world["task"]
    sent = _feed(api, user)[("task", str(task.id))]
    assert sent == _json(task_records(user=user, tasks=[Task.objects.get(id=task.id)])[task.id])
    assert sent["overdue"] is True and sent["client_code"] == world["client"].code
    [answer] = api.as_(user).get("/tasks").json()["items"]
    _as_api_answers(sent, answer)


@pytest.mark.parametrize("who,access", [("volunteer_katingan", "full"), ("counselor_near", "minimal")])
def test_an_escalation(api, cast, world, who, access):
    user, esc = getattr(cast, who), world["offered"]
    sent = _feed(api, user)[("escalation", str(esc.id))]
    rows = list(with_case_view(escalation_qs_for(user=user).filter(id=esc.id), user=user))
    assert sent == _json(escalation_records(user=user, escs=rows)[esc.id])
    assert sent["access"] == access
    _as_api_answers(sent, api.as_(user).get(f"/escalations/{esc.id}").json())


def test_an_escalation_whose_course_the_viewer_reads(api, cast, world):
    user, esc = cast.volunteer_katingan, world["assessed"]
    sent = _feed(api, user)[("escalation", str(esc.id))]
    assert sent["access"] == "full" and sent["outcome"] == "methadone"
    assert sent["assigned_to_id"] == str(cast.assessor_near.id) and sent["facility_name"]
    _as_api_answers(sent, api.as_(user).get(f"/escalations/{esc.id}").json())


def test_a_notification(api, cast, world):
    user, notification = cast.volunteer_katingan, world["notification"]
    sent = _feed(api, user)[("notification", str(notification.id))]
    rows = [Notification.objects.get(id=notification.id)]
    assert sent == _json(notification_records(user=user, notifications=rows)[notification.id])
    assert sent["is_read"] is False
    [answer] = api.as_(user).get("/notifications").json()["items"]
    _as_api_answers(sent, answer)


def test_every_field_of_a_record_is_declared_in_the_apis_schema(api, cast, world):
    """ninja drops what a response schema does not declare: a record's field missing there would reach the phone
    and never the API (nor the OpenAPI document)."""
    declared = {
        "client": ClientOut,
        "family_member": FamilyMemberOut,
        "visit": VisitOut,
        "task": TaskOut,
        "escalation": EscalationOut,
        "notification": NotificationOut,
    }
    for user in (cast.volunteer_katingan, cast.counselor_near):
        for (entity, _id), data in _feed(api, user).items():
            assert set(data) <= set(declared[entity].model_fields), (
                entity,
                set(data) - set(declared[entity].model_fields),
            )
            for member in data.get("family_members") or []:
                assert set(member) <= set(FamilyMemberOut.model_fields)
