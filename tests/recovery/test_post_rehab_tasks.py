"""Entering post-rehabilitation plans support visits for the client's volunteers."""

from datetime import timedelta

import pytest

from backend.recovery.lifecycle import ClientStatus
from backend.recovery.models import Client
from backend.recovery.transitions import client_transition
from backend.tasks.models import Task, TaskKind

pytestmark = pytest.mark.django_db


def _client_in_treatment(cast) -> Client:
    client = Client.objects.create(
        code="KTG-2026-09001",
        name="Klien Uji",
        sex="male",
        birth_year=1995,
        village=cast.kasongan_baru,
        registered_by=cast.volunteer_katingan,
        status=ClientStatus.OUTPATIENT,
    )
    client.assigned_volunteers.add(cast.volunteer_katingan)
    return client


def test_it_plans_post_rehab_visits_for_the_assigned_volunteer(cast):
    client = _client_in_treatment(cast)

    client_transition(
        client_id=client.id, to_status=ClientStatus.POST_REHAB, actor=cast.counselor_near, reason="selesai"
    )

    tasks = Task.objects.filter(client=client, kind=TaskKind.POST_REHAB_VISIT).order_by("due_on")
    assert [t.assignee_id for t in tasks] == [cast.volunteer_katingan.id] * 3
    first, second, third = (t.due_on for t in tasks)
    assert (second - first, third - first) == (timedelta(days=23), timedelta(days=83))


def test_it_plans_nothing_twice_when_the_transition_is_repeated_later(cast):
    client = _client_in_treatment(cast)
    client_transition(client_id=client.id, to_status=ClientStatus.POST_REHAB, actor=None)
    client_transition(client_id=client.id, to_status=ClientStatus.COMMUNITY_RECOVERY, actor=None)

    assert Task.objects.filter(client=client, kind=TaskKind.POST_REHAB_VISIT).count() == 3


def test_other_transitions_plan_no_post_rehab_visits(cast):
    client = _client_in_treatment(cast)
    client_transition(client_id=client.id, to_status=ClientStatus.INPATIENT, actor=None)
    assert not Task.objects.filter(client=client).exists()
