"""What each contact result sets off (backend/followup/reactions.py), in the transaction that stores it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone, translation

from backend.followup.models import FollowUpState
from backend.followup.sweep import followup_sweep
from backend.recovery.models import Client, ClientStatusChange, ContactAttempt
from backend.recovery.services import client_update
from backend.recovery.transitions import client_transition
from backend.tasks.models import Task, TaskStatus
from notifications.models import Notification
from notifications.texts import render_push
from tests.factories import TaskFactory, VisitFactory
from tests.followup.helpers import attempt, client_in, log, tier_of

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


@pytest.fixture
def client(cast) -> Client:
    return client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan], phone="+6281355550001")


def in_episode(time_machine, client: Client, tier: int = 2) -> None:
    """Leave the client unseen until the sweep has given them `tier` (14 days, then 3 per tier)."""
    time_machine.move_to(DAY0, tick=False)
    client.created_at = DAY0
    client.save(update_fields=["created_at"])
    for day in range(14, 14 + 3 * (tier - 1) + 1):
        time_machine.move_to(DAY0 + timedelta(days=day), tick=False)
        followup_sweep()
    assert tier_of(client) == tier


def test_reaching_the_client_ends_the_episode_and_completes_everyones_follow_up_tasks(
    cast, client, time_machine
):
    in_episode(time_machine, client, tier=2)
    tasks = Task.objects.filter(client=client, status=TaskStatus.OPEN)
    assert {(t.kind, t.assignee) for t in tasks} == {
        ("follow_up_contact", cast.volunteer_katingan),
        ("follow_up_village", cast.official_katingan),
    }
    log(cast.official_katingan, client, "reached")
    assert tier_of(client) == 0
    assert set(Task.objects.filter(client=client).values_list("status", flat=True)) == {"done"}
    state = FollowUpState.objects.get(client=client)
    assert (state.episode_started_on, state.tier_since, state.trigger) == (None, None, "")


def test_a_failed_attempt_completes_nothing_and_a_visit_ends_the_episode_too(cast, client, time_machine):
    in_episode(time_machine, client, tier=1)
    log(cast.volunteer_katingan, client, "no_answer")
    assert Task.objects.get(client=client).status == "open" and tier_of(client) == 1
    time_machine.move_to(timezone.now() + timedelta(hours=3), tick=False)
    VisitFactory(client=client, logged_by=cast.volunteer_katingan, occurred_at=timezone.now())
    task = Task.objects.get(client=client)
    assert task.status == "done" and task.completed_by_visit is not None
    assert tier_of(client) == 0


def test_a_reached_attempt_completes_its_authors_any_contact_tasks(cast, client, time_machine):
    time_machine.move_to(DAY0, tick=False)
    after_assessment = TaskFactory(client=client, assignee=cast.volunteer_katingan, kind="follow_up")
    accompany = TaskFactory(client=client, assignee=cast.volunteer_katingan, kind="accompany")
    someone_elses = TaskFactory(client=client, assignee=cast.official_katingan, kind="follow_up")
    time_machine.move_to(DAY0 + timedelta(hours=2), tick=False)
    log(cast.volunteer_katingan, client, "reached")
    statuses = {t.id: t.status for t in Task.objects.all()}
    assert statuses == {after_assessment.id: "done", accompany.id: "open", someone_elses.id: "open"}


def test_reaching_a_lost_contact_client_resumes_their_previous_status(cast, client):
    client_transition(client_id=client.id, to_status="lost_contact", actor=None)
    later = timezone.localtime(timezone.now() + timedelta(minutes=1)).isoformat()
    log(cast.volunteer_katingan, client, "no_answer", occurred_at=later)
    assert Client.objects.get(id=client.id).status == "lost_contact"
    log(cast.volunteer_katingan, client, "reached", occurred_at=later)
    assert Client.objects.get(id=client.id).status == "community_recovery"
    change = ClientStatusChange.objects.filter(client=client).latest("at")
    assert (change.from_status, change.to_status, change.reason, change.actor) == (
        "lost_contact",
        "community_recovery",
        "contact_resumed",
        cast.volunteer_katingan,
    )


def test_a_status_the_lifecycle_does_not_allow_back_resumes_community_recovery_and_a_visit_counts(cast):
    client = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan], status="escalated")
    client_transition(client_id=client.id, to_status="outpatient", actor=None)
    client_transition(client_id=client.id, to_status="lost_contact", actor=None)
    VisitFactory(client=client, logged_by=cast.volunteer_katingan, occurred_at=timezone.now())
    assert Client.objects.get(id=client.id).status == "community_recovery"  # lost_contact -> outpatient: no
    assert ClientStatusChange.objects.filter(client=client).latest("at").reason == "contact_resumed"


def test_a_contact_from_before_the_loss_brings_no_one_back(cast, client):
    client_transition(client_id=client.id, to_status="lost_contact", actor=None)
    earlier = timezone.localtime(timezone.now() - timedelta(days=2)).isoformat()
    log(cast.volunteer_katingan, client, "reached", occurred_at=earlier)
    assert Client.objects.get(id=client.id).status == "lost_contact"


def test_moved_away_asks_the_regencys_coordinator_for_a_hand_over_and_stops_the_ladder(
    cast, client, time_machine
):
    in_episode(time_machine, client, tier=1)
    log(cast.volunteer_katingan, client, "moved_away", channel="via_family", note="Pindah ke Palangka Raya")
    (handover,) = Task.objects.filter(kind="client_handover")
    assert (handover.assignee, handover.client, handover.status) == (
        cast.coordinator_katingan,
        client,
        "open",
    )
    assert "Pindah ke Palangka Raya" in handover.note
    assert handover.due_on == date(2026, 3, 16) + timedelta(days=7)
    assert Task.objects.get(kind="follow_up_contact").status == "cancelled"
    for day in range(15, 60):
        time_machine.move_to(DAY0 + timedelta(days=day), tick=False)
        followup_sweep()
    assert tier_of(client) == 0 and Client.objects.get(id=client.id).status == "community_recovery"
    log(cast.volunteer_katingan, client, "moved_away")  # reported again: still one hand-over
    assert Task.objects.filter(kind="client_handover").count() == 1
    client_transition(client_id=client.id, to_status="moved", actor=cast.coordinator_katingan)
    assert Task.objects.get(kind="client_handover").status == "done"


def test_refused_pauses_the_follow_up_and_tells_the_coordinator(cast, client, time_machine):
    in_episode(time_machine, client, tier=1)
    log(cast.volunteer_katingan, client, "refused")
    state = FollowUpState.objects.get(client=client)
    assert (state.tier, state.paused_until) == (0, date(2026, 3, 16) + timedelta(days=30))
    assert Task.objects.get(client=client).status == "cancelled"
    (told,) = Notification.objects.filter(kind="followup_refused")
    assert told.recipient == cast.coordinator_katingan
    assert client.code in told.body and "15-04-2026" in told.body
    assert client.code not in " ".join(render_push("followup_refused"))
    for day in range(15, 44):  # paused until the 15th of April (day 44)
        time_machine.move_to(DAY0 + timedelta(days=day), tick=False)
        followup_sweep()
    assert Task.objects.filter(client=client, status="open").count() == 0
    time_machine.move_to(DAY0 + timedelta(days=44), tick=False)
    followup_sweep()
    assert tier_of(client) == 1  # the pause is over, the client still unseen: tried again
    assert Client.objects.get(id=client.id).status == "community_recovery"


def test_a_refusal_older_than_the_last_contact_changes_nothing(cast, client):
    log(cast.volunteer_katingan, client, "reached")
    earlier = timezone.localtime(timezone.now() - timedelta(hours=5)).isoformat()
    log(cast.volunteer_katingan, client, "refused", occurred_at=earlier)
    assert not FollowUpState.objects.filter(client=client, paused_until__isnull=False).exists()
    assert not Notification.objects.filter(kind="followup_refused").exists()


def test_a_wrong_number_flags_the_phone_until_it_is_edited(cast, client):
    log(cast.volunteer_katingan, client, "wrong_number")
    client.refresh_from_db()
    assert client.phone_flagged
    client = client_update(
        actor=cast.official_katingan, client_id=client.id, version=client.version, changes={"notes": "x"}
    )
    assert client.phone_flagged  # another edit leaves the flag
    client = client_update(
        actor=cast.official_katingan,
        client_id=client.id,
        version=client.version,
        changes={"phone": "+6281355550001"},
    )
    assert client.phone_flagged  # the same number again: still to be corrected
    client = client_update(
        actor=cast.official_katingan,
        client_id=client.id,
        version=client.version,
        changes={"phone": "081355550002"},
    )
    assert not Client.objects.get(id=client.id).phone_flagged


def test_deceased_closes_the_client_naming_the_attempt(cast, client, time_machine):
    in_episode(time_machine, client, tier=1)
    log(cast.volunteer_katingan, client, "deceased", channel="via_village_official")
    attempt = ContactAttempt.objects.get(result="deceased")
    change = ClientStatusChange.objects.filter(client=client).latest("at")
    assert (change.to_status, change.reason, change.actor) == (
        "deceased",
        f"contact_attempt:{attempt.id}",
        cast.volunteer_katingan,
    )
    assert Task.objects.get(client=client).status == "cancelled"
    assert tier_of(client) == 0


def test_stored_notes_are_in_the_source_language_whatever_the_request_speaks(api, cast, client, time_machine):
    time_machine.move_to(DAY0 + timedelta(days=14), tick=False)
    Client.objects.filter(id=client.id).update(created_at=DAY0)
    with translation.override("en"):
        followup_sweep()
    assert Task.objects.get(kind="follow_up_contact").note.startswith(
        "Belum ada kontak dengan klien selama 14"
    )
    english = api.as_(cast.volunteer_katingan, lang="en")
    body = {"attempts": [attempt(client, "moved_away", note="ke kota")]}
    assert english.post("/sync/contact-attempts", body).status_code == 200
    assert (
        Task.objects.get(kind="client_handover").note
        == "Dilaporkan pindah pada 16-03-2026. Catatan petugas: ke kota"
    )
