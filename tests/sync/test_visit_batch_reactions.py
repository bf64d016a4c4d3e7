"""What a batch of uploaded visits sets off, done for the whole batch at once (tasks.rules.tasks_complete_for_visits,
recovery.transitions.clients_transition_many): the same outcome as one visit after another."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from backend.recovery.models import Client, ClientStatusChange
from backend.recovery.transitions import client_transition
from backend.sync.models import ChangeLog
from backend.tasks.models import Task, TaskStatus
from tests.sync.helpers import make_client, upload, visit_payload

pytestmark = pytest.mark.django_db


def _task(kind, client, assignee, created_ago=timedelta(days=1)):  # type: ignore[no-untyped-def]
    return Task.objects.create(
        kind=kind,
        client=client,
        assignee=assignee,
        due_on=date.today(),
        rule_key=f"test:{uuid.uuid4()}",
        created_at=timezone.now() - created_ago,
    )


def test_each_task_is_completed_by_the_first_visit_of_the_batch_that_fits_it(api, cast):
    a = make_client(village="62.06.02.1003", by=cast.official_katingan)
    b = make_client(village="62.06.02.1003", by=cast.official_katingan)
    me = cast.volunteer_katingan
    follow_up, accompany = _task("follow_up", a, me), _task("accompany", a, me)
    too_new = _task("post_rehab_visit", b, me, created_ago=timedelta(0))
    someone_elses = _task("follow_up", a, cast.volunteer_mataram)
    now = timezone.localtime(timezone.now())
    home = visit_payload(a, occurred_at=(now - timedelta(hours=3)).isoformat())
    along = visit_payload(a, type="accompaniment", occurred_at=(now - timedelta(hours=2)).isoformat())
    early = visit_payload(b, occurred_at=(now - timedelta(hours=2)).isoformat())
    before = ChangeLog.objects.filter(entity="task").count()
    assert upload(api, me, [along, early, home]).json()["summary"]["created"] == 3

    done = {t.id: (t.status, str(t.completed_by_visit), t.version) for t in Task.objects.all()}
    assert done[follow_up.id] == (TaskStatus.DONE, home["id"], 2)
    assert done[accompany.id] == (TaskStatus.DONE, along["id"], 2)
    assert done[too_new.id][0] == done[someone_elses.id][0] == TaskStatus.OPEN
    logged = ChangeLog.objects.filter(entity="task").order_by("id")[before:]
    assert {(c.entity_id, c.user_id) for c in logged} == {(follow_up.id, me.id), (accompany.id, me.id)}


def test_one_upload_brings_back_every_lost_contact_client_it_reaches(api, cast):
    me = cast.volunteer_katingan
    lost = [make_client(village="62.06.02.1003", by=cast.official_katingan) for _ in range(3)]
    for c in lost:
        client_transition(client_id=c.id, to_status="lost_contact", actor=None)
    versions = dict(Client.objects.filter(id__in=[c.id for c in lost]).values_list("id", "version"))
    later = timezone.localtime(timezone.now() + timedelta(minutes=1)).isoformat()
    assert (
        upload(api, me, [visit_payload(c, occurred_at=later) for c in lost]).json()["summary"]["created"] == 3
    )

    for c in Client.objects.filter(id__in=[c.id for c in lost]):
        assert (c.status, c.version) == ("community_recovery", versions[c.id] + 1)
        change = ClientStatusChange.objects.filter(client=c).latest("at")
        assert (change.from_status, change.to_status, change.reason, change.actor) == (
            "lost_contact",
            "community_recovery",
            "contact_resumed",
            me,
        )
        assert (
            ChangeLog.objects.filter(entity="client", entity_id=c.id, village_code=c.village_id).count() >= 3
        )
