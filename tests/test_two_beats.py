"""Two Celery beats at once (a failover, or a mistake on a second machine) fire every periodic job twice at the same
moment. Pulih has no beat lock: each job is written so that a second run at once changes nothing more. The small,
always-on version of bench/drills/drill_scaleout.py (two nodes, two beats, under load: `PULIH_HEAVY=1`
tests/test_drills_heavy.py): each job run twice at the same instant from two threads, each with its own database
session, then the effects counted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from backend.escalations.models import Offer
from backend.escalations.services import offers_expire
from backend.tasks.digest import tasks_digest
from notifications.models import Notification
from tests.escalations.conftest import make_client
from tests.factories import EscalationFactory, TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)


def twice_at_once(job: Callable[[], Any]) -> list[Any]:
    """`job` in two threads released together; their results (or the exceptions they raised)."""
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(job())
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_digest_runs_at_once_give_each_person_one_digest(cast, settings):
    settings.TASKS_DIGEST_LOCAL_HOUR, settings.TASKS_DIGEST_LAST_LOCAL_HOUR = 0, 23  # everyone's morning now
    for volunteer in (cast.volunteer_katingan, cast.volunteer_mataram):
        client = make_client(cast.kasongan_baru, volunteer, volunteers=(volunteer,))
        TaskFactory(client=client, assignee=volunteer, due_on=timezone.localdate())

    results = twice_at_once(tasks_digest)

    assert not [r for r in results if isinstance(r, Exception)], results
    digests = Notification.objects.filter(kind="task_digest")
    assert sorted(digests.values_list("recipient_id", flat=True)) == sorted(
        [cast.volunteer_katingan.id, cast.volunteer_mataram.id]
    )


def test_two_expiry_sweeps_at_once_move_each_case_on_once(cast):
    escalations = []
    for _ in range(3):
        client = make_client(
            cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,)
        )
        escalations.append(EscalationFactory(client=client, created_by=cast.volunteer_katingan))
    first = list(
        Offer.objects.filter(escalation__in=escalations, status="pending").values_list("id", flat=True)
    )
    assert len(first) == 3
    Offer.objects.filter(id__in=first).update(expires_at=timezone.now() - timedelta(seconds=1))

    results = twice_at_once(offers_expire)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 3  # each offer expired by one of the two sweeps, none by both
    assert Offer.objects.filter(id__in=first, status="expired").count() == 3
    for escalation in escalations:
        offers = Offer.objects.filter(escalation=escalation)
        assert offers.filter(status="pending").count() <= 1
        staff = list(offers.values_list("staff_id", flat=True))
        assert len(staff) == len(set(staff)), "one person offered the case twice"
        assert offers.count() <= 2  # the expired offer and at most one next one
