"""The daily digest of tasks: one entry (one push) in each person's morning in their own zone, counts only; by
WhatsApp or SMS when push cannot reach them; once per person per local day whatever reruns."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from backend.tasks.digest import tasks_digest
from backend.tasks.models import Task
from backend.tasks.rules import task_ensure
from backend.tasks.tasks import task_digest_hourly
from notifications.models import ChannelMessage, Device, Notification
from notifications.services import channel_preference_set
from tests.escalations.conftest import make_client
from tests.fakes.sms import sms_fake  # noqa: F401 (the `sms` fixture)
from tests.fakes.whatsapp import whatsapp_fake  # noqa: F401 (the `whatsapp` fixture)

pytestmark = pytest.mark.django_db

# 2026-12-01 in UTC. Kasongan Baru is WIB (UTC+7), Ampenan Selatan WITA (UTC+8).
WIB_0659 = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)  # 06:59 WIB, 07:59 WITA on 1 December
WIB_0700 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
WITA_0700 = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 06:00 WIB
TODAY = date(2026, 12, 1)


def task_for(client, user, due: date, status: str = "open") -> Task:  # type: ignore[no-untyped-def]
    task, _ = task_ensure(
        kind="follow_up", assignee=user, due_on=due, rule_key=f"test:{uuid.uuid4()}", client_id=client.id
    )
    if status != "open":
        Task.objects.filter(id=task.id).update(status=status)
    return task


@pytest.fixture
def katingan_tasks(cast, time_machine):
    """The Kasongan volunteer: two overdue, one due today, one due tomorrow, one queued and one done."""
    time_machine.move_to(WIB_0700 - timedelta(days=3), tick=False)
    v = cast.volunteer_katingan
    client = make_client(cast.kasongan_baru, v, volunteers=(v,))
    for due in (TODAY - timedelta(days=2), TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1)):
        task_for(client, v, due)
    task_for(client, v, TODAY - timedelta(days=1), status="queued")
    task_for(client, v, TODAY - timedelta(days=1), status="done")
    return client


def digests(user=None):  # type: ignore[no-untyped-def]
    qs = Notification.objects.filter(kind="task_digest")
    return qs.filter(recipient=user) if user else qs


def test_one_digest_in_the_volunteers_morning_with_counts_and_no_client_data(
    cast, katingan_tasks, time_machine
):
    time_machine.move_to(WIB_0659, tick=False)
    assert tasks_digest() == {}
    time_machine.move_to(WIB_0700, tick=False)
    assert tasks_digest()["digests"] == 1
    (row,) = digests()
    assert (row.recipient, row.event_key) == (cast.volunteer_katingan, "task_digest:2026-12-01")
    assert row.body == "Anda memiliki 1 tugas dengan tenggat hari ini dan 2 tugas yang terlambat."
    assert katingan_tasks.code not in row.body and katingan_tasks.name not in row.body
    assert row.data == {"screen": "tasks"}
    # Not one push per task: the only notifications since the tasks were made is the digest.
    assert not Notification.objects.filter(kind="task_overdue").exists()


def test_reruns_the_same_local_day_send_nothing_more_and_the_next_morning_sends_again(
    cast, katingan_tasks, time_machine
):
    time_machine.move_to(WIB_0700, tick=False)
    task_digest_hourly()
    for hours in (0, 1, 4):
        time_machine.move_to(WIB_0700 + timedelta(hours=hours), tick=False)
        assert task_digest_hourly() == {}
    assert digests().count() == 1
    time_machine.move_to(WIB_0700 + timedelta(days=1), tick=False)
    assert task_digest_hourly() == {"digests": 1}
    assert sorted(digests().values_list("event_key", flat=True)) == [
        "task_digest:2026-12-01",
        "task_digest:2026-12-02",
    ]


def test_a_morning_missed_entirely_is_not_made_up_at_night(cast, katingan_tasks, time_machine, settings):
    time_machine.move_to(WIB_0700 + timedelta(hours=settings.TASKS_DIGEST_LAST_LOCAL_HOUR - 6), tick=False)
    assert tasks_digest() == {}
    assert not digests().exists()


def test_each_person_in_their_own_zone(cast, katingan_tasks, time_machine):
    time_machine.move_to(WITA_0700 - timedelta(days=3), tick=False)
    m = cast.volunteer_mataram
    task_for(make_client(cast.ampenan_selatan, m, volunteers=(m,)), m, TODAY)
    time_machine.move_to(WITA_0700, tick=False)  # 07:00 in Mataram, 06:00 in Kasongan
    assert tasks_digest() == {"digests": 1}
    assert [n.recipient for n in digests()] == [m]
    time_machine.move_to(WIB_0700, tick=False)
    tasks_digest()
    assert sorted(n.recipient.phone for n in digests()) == sorted([m.phone, cast.volunteer_katingan.phone])


def test_nothing_for_someone_with_nothing_due(cast, katingan_tasks, time_machine):
    Task.objects.filter(due_on__lte=TODAY).update(due_on=TODAY + timedelta(days=5))
    time_machine.move_to(WIB_0700, tick=False)
    assert tasks_digest() == {}


def test_without_a_push_token_the_digest_goes_by_the_channel_they_chose(
    cast, katingan_tasks, time_machine, whatsapp, sms
):
    channel_preference_set(user=cast.volunteer_katingan, sms=True)
    time_machine.move_to(WIB_0700, tick=False)
    assert tasks_digest() == {"digests": 1, "second_channel": 1}
    (message,) = ChannelMessage.objects.all()
    assert (message.channel, message.kind, message.event_key) == (
        "sms",
        "daily_digest",
        "daily_digest:2026-12-01",
    )
    time_machine.move_to(WIB_0700 + timedelta(hours=1), tick=False)
    tasks_digest()
    assert ChannelMessage.objects.count() == 1


def test_with_a_working_push_token_no_second_channel(cast, katingan_tasks, time_machine, whatsapp):
    channel_preference_set(user=cast.volunteer_katingan, whatsapp=True)
    Device.objects.create(
        user=cast.volunteer_katingan, token="tok-1", platform="android", app_version="1.0.0"
    )
    time_machine.move_to(WIB_0700, tick=False)
    assert tasks_digest() == {"digests": 1}
    assert not ChannelMessage.objects.exists()
