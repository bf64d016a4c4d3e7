"""What happens when things happen at once: identical batches, one Idempotency-Key twice, and the change feed
under concurrent writes. These tests commit for real (transaction=True) and use one connection per thread."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from django.db import connections, transaction
from django.utils import timezone

from backend.recovery.models import Client, Visit
from backend.recovery.transitions import client_transition
from backend.sync.changelog import change_record
from backend.sync.models import ChangeLog
from tests.conftest import Api
from tests.sync.helpers import drain, ids_of, make_client, settle, upload, visit_payload

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*targets):  # type: ignore[no-untyped-def]
    """Run callables in threads released at the same instant; their return values in order."""
    barrier = threading.Barrier(len(targets))
    out: list = [None] * len(targets)
    errors: list = []

    def wrap(i, fn):  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=10)
            out[i] = fn()
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return out


@pytest.fixture
def kasongan(cast):
    return make_client(village="62.06.02.1003", by=cast.official_katingan)


def test_the_same_batch_sent_twice_at_once_creates_each_visit_once(cast, kasongan):
    visits = [visit_payload(kasongan) for _ in range(60)]
    first, second = run_together(
        lambda: upload(Api(), cast.volunteer_katingan, visits),
        lambda: upload(Api(), cast.volunteer_katingan, visits),
    )
    assert first.status_code == second.status_code == 200
    for a, b in zip(first.json()["results"], second.json()["results"], strict=True):
        assert sorted([a["status"], b["status"]]) == ["created", "duplicate"]
    assert Visit.objects.count() == 60
    assert ChangeLog.objects.filter(entity="visit").count() == 60


def test_one_idempotency_key_sent_twice_at_once_runs_the_work_once(cast, kasongan):
    visits = [visit_payload(kasongan) for _ in range(30)]
    key = str(uuid.uuid4())
    responses = run_together(
        lambda: upload(Api(), cast.volunteer_katingan, visits, key=key),
        lambda: upload(Api(), cast.volunteer_katingan, visits, key=key),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes in ([200, 200], [200, 409])
    ok = [r.json() for r in responses if r.status_code == 200]
    # A replay is the stored answer: both say "created" (never one "duplicate"), and the work ran once.
    assert all(Counter(r["status"] for r in body["results"]) == {"created": 30} for body in ok)
    if 409 in codes:
        conflict = next(r for r in responses if r.status_code == 409)
        assert conflict.json()["error"]["code"] == "idempotency_in_progress"
    assert Visit.objects.count() == 30


def test_the_feed_never_skips_a_change_committed_while_it_was_read(api, cast, kasongan):
    """The bug this guards against: a cursor on bare ids (or timestamps) moves past a row that an older,
    still-open transaction wrote, and that row is never served once it commits."""
    user = cast.volunteer_katingan
    settle()
    _items, cursor, _pages = drain(api, user, until=lambda items: str(kasongan.id) in ids_of(items, "client"))
    written, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                Client.objects.filter(id=kasongan.id).update(name="Nama Baru", updated_at=timezone.now())
                change_record(
                    entity="client",
                    entity_id=kasongan.id,
                    village_code=kasongan.village_id,
                    client_id=kasongan.id,
                )
                written.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert written.wait(timeout=10)
        # A later change, committed while the first is still open; its log row id is higher.
        visit = visit_payload(kasongan)
        assert upload(api, user, [visit]).json()["results"][0]["status"] == "created"
        slow_row = ChangeLog.objects.filter(entity="client", entity_id=kasongan.id).order_by("-id").first()
        fast_row = ChangeLog.objects.get(entity="visit", entity_id=visit["id"])
        assert fast_row.id > slow_row.id and fast_row.txid > slow_row.txid
        # Reading now must not move the cursor past the open transaction's change: nothing of either is served.
        during, cursor, _pages = drain(api, user, cursor=cursor, timeout=0)
        assert str(kasongan.id) not in ids_of(during, "client")
        assert visit["id"] not in ids_of(during, "visit")
    finally:
        release.set()  # a failed assertion must not leave the writer's transaction open for the next tests
    assert done.wait(timeout=30)
    thread.join()
    after, _cursor, _pages = drain(
        api,
        user,
        cursor=cursor,
        until=lambda items: (
            str(kasongan.id) in ids_of(items, "client") and visit["id"] in ids_of(items, "visit")
        ),
    )
    client = next(i for i in after if i["entity"] == "client")
    assert client["data"]["name"] == "Nama Baru"
    assert visit["id"] in ids_of(after, "visit")


def test_changes_come_as_one_item_per_entity_with_its_current_state(api, cast, kasongan):
    user = cast.volunteer_katingan
    visit = visit_payload(kasongan)
    upload(api, user, [visit])
    _items, cursor, _pages = drain(api, user, until=lambda items: visit["id"] in ids_of(items, "visit"))
    upload(api, user, [{**visit, "notes": "dua", "version": 1}])
    upload(api, user, [{**visit, "notes": "tiga", "version": 2}])
    client_transition(client_id=kasongan.id, to_status="recovered", actor=cast.official_katingan)
    items, cursor, _pages = drain(
        api, user, cursor=cursor, until=lambda items: str(kasongan.id) in ids_of(items, "client", "leave")
    )
    visits = [i for i in items if i["entity"] == "visit"]
    # The client closed: it leaves the phone, and so do its visits (the client's leave says so too).
    assert [(i["op"], i["data"]) for i in visits] == [("leave", None)]
    assert ids_of(items, "client", "leave") == [str(kasongan.id)]
    nothing, _cursor, _pages = drain(api, user, cursor=cursor, timeout=0)
    assert nothing == []


def test_an_edit_reaches_the_phone_once_with_the_latest_version(api, cast, kasongan):
    user = cast.volunteer_katingan
    visit = visit_payload(kasongan)
    upload(api, user, [visit])
    _items, cursor, _pages = drain(api, user, until=lambda items: visit["id"] in ids_of(items, "visit"))
    upload(api, user, [{**visit, "notes": "dua", "version": 1}])
    upload(api, user, [{**visit, "notes": "tiga", "version": 2}])
    items, _cursor, _pages = drain(
        api, user, cursor=cursor, until=lambda items: visit["id"] in ids_of(items, "visit")
    )
    visits = [i for i in items if i["entity"] == "visit"]
    assert len(visits) == 1
    assert visits[0]["data"]["notes"] == "tiga" and visits[0]["data"]["version"] == 3


def test_volunteer_mataram_is_sent_none_of_katingans_changes(api, cast, kasongan):
    upload(api, cast.volunteer_katingan, [visit_payload(kasongan)])
    mine = make_client(village="52.71.01.1004", by=cast.volunteer_mataram)
    items, _cursor, _pages = drain(
        api, cast.volunteer_mataram, until=lambda items: str(mine.id) in ids_of(items, "client")
    )
    assert {i["id"] for i in items} == {str(mine.id)}


def test_two_batches_with_the_same_visits_in_other_orders_do_not_deadlock(cast, kasongan):
    visits = [visit_payload(kasongan) for _ in range(80)]
    first, second = run_together(
        lambda: upload(Api(), cast.volunteer_katingan, visits),
        lambda: upload(Api(), cast.volunteer_katingan, list(reversed(visits))),
    )
    assert first.status_code == second.status_code == 200
    statuses = Counter(r["status"] for r in first.json()["results"] + second.json()["results"])
    assert statuses == {"created": 80, "duplicate": 80}
    assert Visit.objects.count() == 80


def test_an_unlinked_family_member_leaves_the_phone(api, cast, kasongan):
    from backend.recovery.family import family_member_unlink
    from tests.sync.helpers import make_member

    user = cast.volunteer_katingan
    member = make_member(client=kasongan, by=cast.official_katingan)
    change_record(
        entity="family_member", entity_id=member.id, village_code=kasongan.village_id, client_id=kasongan.id
    )
    settle()
    _items, cursor, _pages = drain(
        api, user, until=lambda items: str(member.id) in ids_of(items, "family_member")
    )
    family_member_unlink(actor=cast.official_katingan, client=kasongan, member_id=member.id)
    items, _cursor, _pages = drain(
        api,
        user,
        cursor=cursor,
        until=lambda items: str(member.id) in ids_of(items, "family_member", "leave"),
    )
    assert [(i["entity"], i["op"]) for i in items] == [("family_member", "leave")]


def test_notifications_and_tasks_reach_only_their_addressee(api, cast, kasongan):
    """Not even as a `leave`: the feed matched task rows on their client and sent others a leave naming a task
    of someone else. The official reads from a cursor taken before, so the log (not a snapshot) is tested."""
    from datetime import date

    from backend.tasks.models import Task
    from notifications.models import Notification

    _before, official_cursor, _p = drain(api, cast.official_katingan)
    note = Notification.objects.create(
        recipient=cast.volunteer_katingan, kind="test", event_key="t:1", title="Tugas baru", body="Cek tugas."
    )
    change_record(entity="notification", entity_id=note.id, user_id=cast.volunteer_katingan.id)
    task = Task.objects.create(
        kind="follow_up",
        client=kasongan,
        assignee=cast.volunteer_katingan,
        due_on=date.today(),
        rule_key="t:1",
    )
    change_record(entity="task", entity_id=task.id, client_id=kasongan.id, user_id=cast.volunteer_katingan.id)
    mine, _c, _p = drain(
        api,
        cast.volunteer_katingan,
        until=lambda items: (
            str(note.id) in ids_of(items, "notification") and str(task.id) in ids_of(items, "task")
        ),
    )
    assert str(task.id) in ids_of(mine, "task")
    official, _c, _p = drain(api, cast.official_katingan, cursor=official_cursor, timeout=0)
    assert ids_of(official, "notification", op=None) == [] and ids_of(official, "task", op=None) == []


def test_a_counselor_whose_offer_ends_loses_the_client_from_the_phone(api, cast, kasongan):
    from datetime import timedelta

    from backend.escalations.models import Escalation, Offer

    escalation = Escalation.objects.create(client=kasongan, need="counseling", status="offered")
    offer = Offer.objects.create(
        escalation=escalation,
        staff=cast.counselor_near,
        facility=cast.pkm_kasongan,
        distance_km=2.0,
        expires_at=timezone.now() + timedelta(hours=24),
    )
    change_record(
        entity="escalation",
        entity_id=escalation.id,
        village_code=kasongan.village_id,
        client_id=kasongan.id,
        user_id=cast.counselor_near.id,
    )
    first, cursor, _pages = drain(
        api, cast.counselor_near, until=lambda items: str(escalation.id) in ids_of(items, "escalation")
    )
    assert next(i for i in first if i["entity"] == "client")["data"]["access"] == "minimal"
    Offer.objects.filter(id=offer.id).update(status="declined")
    change_record(
        entity="escalation",
        entity_id=escalation.id,
        village_code=kasongan.village_id,
        client_id=kasongan.id,
        user_id=cast.counselor_near.id,
    )
    items, _cursor, _pages = drain(
        api,
        cast.counselor_near,
        cursor=cursor,
        until=lambda items: str(escalation.id) in ids_of(items, "escalation", "leave"),
    )
    assert sorted((i["entity"], i["op"]) for i in items) == [("client", "leave"), ("escalation", "leave")]
