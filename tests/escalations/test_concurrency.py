"""Races that must have exactly one winner, run on real concurrent connections."""

from __future__ import annotations

import threading
import time

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


# --- Lock order: offers first, then the escalation, on every path ------------------------------------------


def _blocked(pid: int) -> bool:
    """Is backend `pid` waiting for a lock right now? (pg_blocking_pids reads the live lock table.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid])
        return bool(cursor.fetchone()[0])


def _interleave(monkeypatch, first_name, first_call, second_call):  # type: ignore[no-untyped-def]
    """Run `first_call` on a thread named `first_name` until it is about to lock the escalation (it holds the
    offer by then), run `second_call` until it waits for a lock, then let the first go on. Before the fix the
    second path held the escalation and waited for the offer: a lock cycle (DeadlockDetected, a 500)."""
    from backend.escalations.services import offers as offers_mod

    real_lock = offers_mod.escalation_lock
    first_holds_offer = threading.Event()
    second_pid: list[int] = []

    def lock_after_the_second_waits(escalation_id):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == first_name and not first_holds_offer.is_set():
            first_holds_offer.set()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not (second_pid and _blocked(second_pid[0])):
                time.sleep(0.05)
        return real_lock(escalation_id)

    monkeypatch.setattr(offers_mod, "escalation_lock", lock_after_the_second_waits)
    results: dict[str, object] = {}

    def first():  # type: ignore[no-untyped-def]
        try:
            results["first"] = first_call()
        except Exception as exc:  # reported by the assertions
            results["first"] = exc
        finally:
            first_holds_offer.set()
            connection.close()

    def second():  # type: ignore[no-untyped-def]
        try:
            first_holds_offer.wait(10)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
            results["second"] = second_call()
        except Exception as exc:  # reported by the assertions
            results["second"] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=first, name=first_name),
        threading.Thread(target=second, name="second"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results["first"], results["second"]


@pytest.mark.django_db(transaction=True)
def test_an_accept_racing_a_hand_assignment_never_deadlocks_and_has_one_winner(api, cast, monkeypatch):
    """Bug: assign locked the escalation then the offers, accept the offer then the escalation: forced into
    that interleaving, PostgreSQL killed one with DeadlockDetected (a 500)."""
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    esc = escalation_create(
        actor=cast.volunteer_katingan, client=client, need="counseling", urgency="urgent", reason="Krisis"
    )

    accept, assign = _interleave(
        monkeypatch,
        "accept",
        lambda: api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/accept"),
        lambda: api.as_(cast.coordinator_katingan).post(
            f"/escalations/{esc.id}/assign", {"staff_id": str(cast.counselor_far.id)}
        ),
    )

    assert accept.status_code == 200, accept.json()  # type: ignore[union-attr]
    assert assign.status_code == 409, assign.json()  # type: ignore[union-attr]
    assert assign.json()["error"]["code"] == "invalid_escalation_status"  # type: ignore[union-attr]
    esc.refresh_from_db()
    assert (esc.status, esc.assigned_to_id) == ("accepted", cast.counselor_near.id)
    assert list(Offer.objects.filter(escalation=esc).values_list("status", flat=True)) == ["accepted"]


@pytest.mark.django_db(transaction=True)
def test_the_expiry_sweep_racing_a_hand_assignment_never_deadlocks(api, cast, monkeypatch):
    """Bug: same lock cycle between the sweep (offer, then escalation) and assign (escalation, then offers)."""
    from datetime import timedelta

    from django.utils import timezone

    from backend.escalations.services import offers_expire

    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    esc = escalation_create(
        actor=cast.volunteer_katingan, client=client, need="counseling", urgency="urgent", reason="Krisis"
    )
    later = timezone.now() + timedelta(hours=3)

    swept, assign = _interleave(
        monkeypatch,
        "sweep",
        lambda: offers_expire(now=later, limit=1),
        lambda: api.as_(cast.coordinator_katingan).post(
            f"/escalations/{esc.id}/assign", {"staff_id": str(cast.counselor_mataram.id)}
        ),
    )

    assert swept == 1
    assert assign.status_code == 200, assign.json()  # type: ignore[union-attr]
    statuses = dict(Offer.objects.filter(escalation=esc).values_list("staff__name", "status"))
    assert statuses == {
        cast.counselor_near.name: "expired",
        cast.counselor_far.name: "withdrawn",  # the sweep's re-offer, withdrawn by the assignment
        cast.counselor_mataram.name: "pending",
    }


# --- Caseload cap under concurrent creations ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_escalations_never_offer_past_a_caseload_cap(cast, monkeypatch):
    """Bug: the caseload was counted before any offer was made, so concurrent creations all saw room and all
    offered to the same nearest counselor past their cap. Forced: every creation routes before any offers."""
    from backend.escalations import routing

    cast.counselor_near.caseload_cap = 1
    cast.counselor_near.save()
    clients = [
        make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
        for _ in range(4)
    ]
    real_route = routing.route
    all_routed = threading.Barrier(len(clients), timeout=10)
    local = threading.local()

    def route_then_wait(**kwargs):  # type: ignore[no-untyped-def]
        decision = real_route(**kwargs)
        if not getattr(local, "waited", False):
            local.waited = True
            all_routed.wait()
        return decision

    monkeypatch.setattr(routing, "route", route_then_wait)

    results = run_together(
        *[
            (
                lambda c=c: escalation_create(
                    actor=cast.volunteer_katingan, client=c, need="counseling", urgency="routine", reason="x"
                )
            )
            for c in clients
        ]
    )

    assert all(isinstance(r, Escalation) for r in results), results
    near = Offer.objects.filter(staff=cast.counselor_near, status="pending").count()
    assert near == 1
    assert Offer.objects.filter(staff=cast.counselor_far, status="pending").count() == 3
    passed = [
        p["reason"]
        for e in Escalation.objects.exclude(offers__staff=cast.counselor_near)
        for p in e.routing["passed_over"]
        if p["user_id"] == str(cast.counselor_near.id)
    ]
    assert passed == ["caseload_full"] * 3


@pytest.mark.django_db(transaction=True)
def test_finding_someone_full_does_not_keep_their_row_locked(cast):
    """Two creations each finding their first choice full and turning to the other's would deadlock if the
    lock on a full person were kept to the end of the transaction: it is released at once."""
    from django.db import transaction

    from backend.accounts.models import User
    from backend.escalations.services.routing_flow import has_room

    cast.counselor_near.caseload_cap = 0
    cast.counselor_near.save()
    other_could_lock: list[bool] = []

    def other_connection() -> None:
        try:
            with transaction.atomic():
                User.objects.select_for_update(nowait=True).get(id=cast.counselor_near.id)
            other_could_lock.append(True)
        except Exception:  # LockNotAvailable: still locked
            other_could_lock.append(False)
        finally:
            connection.close()

    with transaction.atomic():
        assert has_room(cast.counselor_near.id) is False
        thread = threading.Thread(target=other_connection)
        thread.start()
        thread.join(10)

    assert other_could_lock == [True]
