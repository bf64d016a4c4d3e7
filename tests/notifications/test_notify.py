"""notify(): the inbox row, its texts, the change log, and once-per-event."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from django.db import transaction

from backend.sync.models import ChangeLog
from notifications.models import Notification, PushState
from notifications.services import broker_circuit, notify

DEADLINE = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)


def offer(cast, recipient=None, event_key="offer:1", **kw):
    return notify(
        recipient=recipient or cast.counselor_near,
        kind="escalation_offered",
        event_key=event_key,
        params={"client_code": "KTG-0042", "deadline": DEADLINE, "tz": "Asia/Jakarta"},
        data={"escalation_id": "5b3f0d4e-0000-4000-8000-000000000001"},
        priority="high",
        ttl_seconds=7200,
        **kw,
    )


def test_it_stores_the_inbox_entry_in_indonesian_with_the_client_code_and_local_time(cast):
    row = offer(cast)
    row.refresh_from_db()
    assert row.push_state == PushState.PENDING
    assert row.title == "Tawaran kasus baru"
    assert row.body == "Kasus KTG-0042 ditawarkan kepada Anda. Mohon jawab sebelum 24-11-2026 14:30 WIB."
    assert row.data == {"escalation_id": "5b3f0d4e-0000-4000-8000-000000000001"}
    assert (row.priority, row.ttl_seconds) == ("high", 7200)


def test_it_shows_times_in_the_area_time_zone(cast):
    row = notify(
        recipient=cast.volunteer_mataram,
        kind="task_assigned",
        event_key="task:1",
        params={"client_code": "MTR-7", "due_at": DEADLINE, "tz": "Asia/Makassar"},
    )
    assert row.body.endswith("tenggat 24-11-2026 15:30 WITA.")


def test_it_renders_in_the_recipients_language(cast):
    """The inbox text is rendered once, when stored, in the language of the recipient (User.language)."""
    cast.counselor_far.language = "en"
    cast.counselor_far.save()
    assert cast.counselor_near.language == "id"

    in_indonesian = offer(cast, cast.counselor_near)
    in_english = offer(cast, cast.counselor_far)

    assert (in_indonesian.title, in_indonesian.body) == (
        "Tawaran kasus baru",
        "Kasus KTG-0042 ditawarkan kepada Anda. Mohon jawab sebelum 24-11-2026 14:30 WIB.",
    )
    assert (in_english.title, in_english.body) == (
        "New case offer",
        "Case KTG-0042 has been offered to you. Please answer before 24-11-2026 14:30 WIB.",
    )


def test_a_repeated_event_is_stored_once_and_returns_none(cast):
    first = offer(cast)
    second = offer(cast)
    assert first is not None and second is None
    assert Notification.objects.filter(recipient=cast.counselor_near).count() == 1


def test_the_same_event_notifies_each_recipient_once(cast):
    assert offer(cast, cast.counselor_near) is not None
    assert offer(cast, cast.counselor_far) is not None


def test_it_records_a_change_for_the_recipients_phones(cast):
    row = offer(cast)
    change = ChangeLog.objects.get(entity="notification", entity_id=row.id)
    assert change.user_id == cast.counselor_near.id


def test_it_is_part_of_the_callers_transaction(cast):
    with pytest.raises(RuntimeError), transaction.atomic():
        offer(cast)
        raise RuntimeError("the event that caused it rolled back")
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "no_such_kind"},
        {"params": {"client_code": "X"}},  # deadline missing
        {"data": {"client_name": "Budi"}},  # not an id
        {"data": {"escalation_id": {"nested": 1}}},
        {"priority": "urgent"},
        {"event_key": ""},
        {"event_key": "x" * 161},
    ],
)
def test_programming_errors_raise_value_error(cast, kwargs):
    base = {
        "recipient": cast.counselor_near,
        "kind": "escalation_offered",
        "event_key": "offer:x",
        "params": {"client_code": "X", "deadline": DEADLINE},
    }
    with pytest.raises(ValueError):
        notify(**{**base, **kwargs})
    assert not Notification.objects.exists()


def test_a_ttl_already_past_is_stored_as_zero(cast):
    row = notify(
        recipient=cast.counselor_near,
        kind="escalation_offer_expired",
        event_key="offer:1:expired",
        params={"client_code": "KTG-0042"},
        ttl_seconds=-30,
    )
    assert row.ttl_seconds == 0


def test_the_broker_circuit_closes_again_after_its_time():
    broker_circuit.trip()
    assert broker_circuit.is_open()
    broker_circuit.open_until = time.monotonic() - 1  # as if open_seconds had passed
    assert not broker_circuit.is_open()
