"""Task priority (made with the task, in the record, the list's order) and households in GET /tasks: tasks of
clients who share a linked family member come together, with one opaque key."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from backend.reads.tasks import grouped
from backend.tasks.households import households_of
from backend.tasks.models import Task, TaskKind
from backend.tasks.priority import task_priority
from backend.tasks.records import task_record
from backend.tasks.rules import task_ensure
from tests.escalations.conftest import make_client
from tests.factories import FamilyMemberFactory
from tests.followup.helpers import consent_set

pytestmark = pytest.mark.django_db


def a_task(client, assignee, kind=TaskKind.FOLLOW_UP, due_in=2, **kw):  # type: ignore[no-untyped-def]
    task, _ = task_ensure(
        kind=kind,
        assignee=assignee,
        due_on=date.today() + timedelta(days=due_in),
        rule_key=f"test:{uuid.uuid4()}",
        client_id=client.id,
        **kw,
    )
    return task


def share_a_member(actor, *clients):  # type: ignore[no-untyped-def]
    """One family member (the mother) linked to every client given."""
    mother = FamilyMemberFactory(client=clients[0], linked_by=actor)
    for client in clients[1:]:
        FamilyMemberFactory(client=client, linked_by=actor, id=mother.id)
    return mother


def test_priority_follows_kind_tier_post_rehab_and_urgency():
    contact = task_priority(TaskKind.FOLLOW_UP_CONTACT)
    assert task_priority(TaskKind.FOLLOW_UP_CONTACT, tier=2) > contact
    assert task_priority(TaskKind.FOLLOW_UP_CONTACT, post_rehab=True) > contact
    assert task_priority(TaskKind.FOLLOW_UP_CONTACT, trigger="failed_attempts") > contact
    assert task_priority(TaskKind.FOLLOW_UP_CONTACT, days_unseen=20) == contact + 6
    assert task_priority(TaskKind.ACCOMPANY, urgent=True) > task_priority(TaskKind.ACCOMPANY)
    assert task_priority(TaskKind.MISSED_APPOINTMENT) > task_priority(TaskKind.CLIENT_HANDOVER)
    assert task_priority(TaskKind.FOLLOW_UP_CONTACT, tier=9, post_rehab=True, urgent=True) == 100


def test_a_task_is_made_with_its_priority_and_shows_it(cast):
    screened = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    after_rehab = make_client(
        cast.kasongan_baru,
        cast.volunteer_katingan,
        volunteers=(cast.volunteer_katingan,),
        status="post_rehab",
    )
    plain = a_task(screened, cast.volunteer_katingan)
    urgent = a_task(screened, cast.volunteer_katingan, kind=TaskKind.ACCOMPANY, urgent=True)
    post_rehab = a_task(after_rehab, cast.volunteer_katingan)

    assert (plain.priority, urgent.priority, post_rehab.priority) == (50, 80, 65)
    record = task_record(plain)
    assert (record["priority"], record["status"], record["household"]) == (50, "open", None)
    assert record["released_on"] == date.today()


def test_the_list_puts_open_before_queued_before_done_then_priority_then_due_date(api, cast):
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    low_soon = a_task(client, cast.volunteer_katingan, kind=TaskKind.CLIENT_HANDOVER, due_in=0)
    high_later = a_task(client, cast.volunteer_katingan, kind=TaskKind.MISSED_APPOINTMENT, due_in=5)
    high_sooner = a_task(client, cast.volunteer_katingan, kind=TaskKind.MISSED_APPOINTMENT, due_in=1)
    queued = a_task(client, cast.volunteer_katingan, kind=TaskKind.MISSED_APPOINTMENT, due_in=0)
    done = a_task(client, cast.volunteer_katingan, kind=TaskKind.MISSED_APPOINTMENT, due_in=0)
    Task.objects.filter(id=queued.id).update(status="queued", released_on=None)
    Task.objects.filter(id=done.id).update(status="done")

    body = api.as_(cast.volunteer_katingan).get("/tasks").json()

    expected = [high_sooner, high_later, low_soon, queued, done]
    assert [t["id"] for t in body["items"]] == [str(t.id) for t in expected]
    assert [t["priority"] for t in body["items"]] == [70, 70, 40, 70, 70]
    assert body["count"] == 5 and body["has_more"] is False
    page = api.as_(cast.volunteer_katingan).get("/tasks", limit=2, offset=2).json()
    assert [t["id"] for t in page["items"]] == [str(low_soon.id), str(queued.id)]
    assert page["has_more"] is True
    last = api.as_(cast.volunteer_katingan).get("/tasks", limit=2, offset=4).json()
    assert [t["id"] for t in last["items"]] == [str(done.id)] and last["has_more"] is False
    only = api.as_(cast.volunteer_katingan).get("/tasks", status="queued").json()
    assert [t["id"] for t in only["items"]] == [str(queued.id)]


def test_tasks_of_one_household_come_together_with_one_key(api, cast):
    volunteer = cast.volunteer_katingan
    brother, sister, neighbour, cousin = (
        make_client(cast.kasongan_baru, volunteer, volunteers=(volunteer,)) for _ in range(4)
    )
    share_a_member(volunteer, brother, sister)
    share_a_member(volunteer, sister, cousin)  # the cousin shares the sister's aunt: the same household
    first = a_task(brother, volunteer, kind=TaskKind.MISSED_APPOINTMENT)  # 70: first in the list
    middle = a_task(neighbour, volunteer, kind=TaskKind.ACCOMPANY)  # 60
    sister_task = a_task(sister, volunteer, kind=TaskKind.CLIENT_HANDOVER)  # 40, but the brother's household
    cousin_task = a_task(cousin, volunteer, kind=TaskKind.FOLLOW_UP)  # 50, the same household

    items = api.as_(volunteer).get("/tasks").json()["items"]

    assert [t["id"] for t in items] == [str(t.id) for t in (first, cousin_task, sister_task, middle)]
    keys = [t["household"] for t in items]
    assert keys[0] and keys[0] == keys[1] == keys[2] and keys[3] is None
    assert keys[0].startswith("hh-") and str(brother.id) not in keys[0]


def test_an_unlinked_member_or_a_client_without_a_task_makes_no_household(cast):
    volunteer = cast.volunteer_katingan
    a, b, c = (make_client(cast.kasongan_baru, volunteer, volunteers=(volunteer,)) for _ in range(3))
    share_a_member(volunteer, a, b)
    assert set(households_of([a.id, b.id, c.id])) == {a.id, b.id}
    assert households_of([a.id, c.id]) == {}  # b is not among the caller's: nothing hints at them


def test_a_household_is_named_by_its_smallest_shared_member_not_by_anyone_elses(cast):
    """A member linked to one client of the group only (the brother's own uncle) neither joins nor names it."""
    volunteer = cast.volunteer_katingan
    a, b = (make_client(cast.kasongan_baru, volunteer, volunteers=(volunteer,)) for _ in range(2))
    FamilyMemberFactory(client=a, linked_by=volunteer, id=uuid.UUID(int=2))
    FamilyMemberFactory(client=b, linked_by=volunteer, id=uuid.UUID(int=2))
    before = households_of([a.id, b.id])
    FamilyMemberFactory(client=a, linked_by=volunteer, id=uuid.UUID(int=1))  # smaller, not shared
    after = households_of([a.id, b.id])
    assert before == after and set(after) == {a.id, b.id} and after[a.id] == after[b.id]


def test_grouping_keeps_everyone_else_in_place():
    t = [uuid.UUID(int=i) for i in range(5)]
    c = [uuid.UUID(int=100 + i) for i in range(5)]
    rows = list(zip(t, c, strict=True))
    assert grouped(rows, {c[1]: "h", c[4]: "h"}) == [t[0], t[1], t[4], t[2], t[3]]
    assert grouped(rows, {}) == t


def test_the_openapi_document_describes_priority_queued_and_household(api, cast):
    schema = api.get("/openapi.json").json()["components"]["schemas"]["TaskOut"]
    props = schema["properties"]
    assert "queued" in props["status"]["enum"]
    assert {"priority", "household", "released_on"} <= set(schema["required"])
    assert "rumah tangga" in props["household"]["description"]
    assert (props["priority"]["minimum"], props["priority"]["maximum"]) == (0, 100)


def test_no_household_through_family_consent_alone(cast):
    """A household is a shared linked member, nothing else: the contact_family consent changes nothing."""
    volunteer = cast.volunteer_katingan
    a, b = (make_client(cast.kasongan_baru, volunteer, volunteers=(volunteer,)) for _ in range(2))
    consent_set(a, "contact_family", True, volunteer)
    FamilyMemberFactory(client=a, linked_by=volunteer)
    FamilyMemberFactory(client=b, linked_by=volunteer)
    assert households_of([a.id, b.id]) == {}
