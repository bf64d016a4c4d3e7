"""notify_many(): a sweep's notifications in one INSERT, skipping repeats, with their change log and their pushes
published after commit in batches (issue 11, "Fast at national scale")."""

from __future__ import annotations

import pytest

from backend.sync.models import ChangeLog
from notifications.models import Notification, PushState
from notifications.services import Notice, notify, notify_many

pytestmark = pytest.mark.django_db


def task(recipient, n: int) -> Notice:
    return Notice(
        recipient=recipient,
        kind="task_assigned",
        event_key=f"task:{n}",
        params={"client_code": f"KTG-{n}", "due_at": "24-11-2026"},
        data={"task_id": f"5b3f0d4e-0000-4000-8000-00000000000{n}"},
    )


def test_it_stores_each_new_event_once_and_skips_repeats(cast):
    volunteer, official = cast.volunteer_katingan, cast.official_katingan
    official.language = "en"
    official.save()
    already = notify(
        recipient=volunteer,
        kind="task_assigned",
        event_key="task:1",
        params={"client_code": "KTG-1", "due_at": "x"},
    )

    rows = notify_many([task(volunteer, 1), task(volunteer, 2), task(volunteer, 2), task(official, 2)])

    assert sorted((r.recipient_id, r.event_key) for r in rows) == sorted(
        [(volunteer.id, "task:2"), (official.id, "task:2")]
    )
    assert Notification.objects.count() == 3
    stored = {n.recipient_id: n for n in Notification.objects.filter(event_key="task:2")}
    assert stored[volunteer.id].title != stored[official.id].title  # each in the recipient's language
    assert stored[official.id].data == {"task_id": "5b3f0d4e-0000-4000-8000-000000000002"}
    assert stored[official.id].push_state == PushState.PENDING
    logged = set(ChangeLog.objects.filter(entity="notification").values_list("entity_id", "user_id"))
    assert logged == {(already.id, volunteer.id), *((r.id, r.recipient_id) for r in rows)}


def test_the_pushes_are_published_after_commit_in_batches(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        rows = notify_many([task(cast.volunteer_katingan, n) for n in range(5)], batch=2)

    assert len(rows) == 5
    assert [len(cb.args[0]) for cb in callbacks] == [2, 2, 1]
    assert [i for cb in callbacks for i in cb.args[0]] == [r.id for r in rows]


def test_bad_arguments_store_nothing(cast):
    with pytest.raises(ValueError):
        notify_many([task(cast.volunteer_katingan, 1), Notice(cast.volunteer_katingan, "no_such_kind", "k")])
    assert not Notification.objects.exists()
