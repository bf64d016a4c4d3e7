"""Races that must have exactly one winner, run on real concurrent connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from backend.escalations.models import Escalation, Offer
from backend.escalations.services import escalation_create
from tests.escalations.conftest import make_client


def run_together(*calls):  # type: ignore[no-untyped-def]
    """Start every call on its own thread (own DB connection) at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(i, call):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # reported in the assertion, not lost in the thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_the_same_moment_have_exactly_one_winner(api, cast):
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    esc = escalation_create(
        actor=cast.volunteer_katingan, client=client, need="counseling", urgency="urgent", reason="Krisis"
    )
    staff = api.as_(cast.counselor_near)
    url = f"/escalations/{esc.id}/accept"

    responses = run_together(lambda: staff.post(url), lambda: staff.post(url))

    codes = sorted(r.status_code for r in responses)  # type: ignore[union-attr]
    assert codes == [200, 409], responses
    loser = next(r for r in responses if r.status_code == 409)  # type: ignore[union-attr]
    assert loser.json()["error"]["code"] == "offer_not_open"  # type: ignore[union-attr]
    assert Offer.objects.get(escalation=esc).status == "accepted"
    assert Escalation.objects.get(id=esc.id).assigned_to == cast.counselor_near


@pytest.mark.django_db(transaction=True)
def test_two_volunteers_escalating_the_same_client_at_once_make_one_escalation(api, cast):
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    body = {
        "client_id": str(client.id),
        "need": "assessment",
        "urgency": "routine",
        "reason": "Skrining tinggi",
    }

    responses = run_together(
        lambda: api.as_(cast.volunteer_katingan).post("/escalations", body),
        lambda: api.as_(cast.official_katingan).post("/escalations", body),
    )

    assert sorted(r.status_code for r in responses) == [201, 409], responses  # type: ignore[union-attr]
    assert Escalation.objects.filter(client=client).count() == 1
