"""The daily sweep, one rule at a time: triggers, tiers, who gets what, consent, and what it leaves alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backend.escalations.models import Escalation
from backend.followup.models import FollowUpState
from backend.followup.sweep import followup_sweep
from backend.followup.tasks import followup_sweep_daily
from backend.recovery.consents import consent_record
from backend.recovery.models import Client
from backend.recovery.transitions import client_transition
from backend.tasks.models import Task, TaskStatus
from notifications.models import Notification
from tests.factories import FamilyMemberFactory, VisitFactory
from tests.followup.helpers import client_in, consent_set, log, tier_of

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 07:00 WIB, 08:00 WITA, 09:00 WIT


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(DAY0, tick=False)

    def on(day: int, hour: int = 0) -> datetime:
        when = DAY0 + timedelta(days=day, hours=hour)
        time_machine.move_to(when, tick=False)
        return when

    return on


def sweep_until(clock, last_day: int, first_day: int = 1) -> None:
    for day in range(first_day, last_day + 1):
        clock(day)
        followup_sweep()


def open_tasks(client: Client, kind: str | None = None):  # type: ignore[no-untyped-def]
    qs = Task.objects.filter(client=client, status=TaskStatus.OPEN)
    return qs.filter(kind=kind) if kind else qs


def test_no_contact_for_14_days_gives_the_assigned_volunteer_a_task_due_in_the_areas_calendar(cast, clock):
    client = client_in(cast.ampenan_selatan.code, volunteers=[cast.volunteer_mataram])
    sweep_until(clock, 13)
    assert not Task.objects.filter(client=client).exists()
    clock(14)
    followup_sweep()
    (task,) = Task.objects.filter(client=client)
    assert (task.kind, task.assignee, task.status) == ("follow_up_contact", cast.volunteer_mataram, "open")
    assert task.due_on == date(2026, 3, 18)  # local (WITA) day 14 + 2: overdue when tier 2 comes
    assert task.note.startswith("Belum ada kontak dengan klien selama 14 hari.")
    state = FollowUpState.objects.get(client=client)
    assert (state.tier, state.trigger, state.episode_started_on) == (1, "no_contact", date(2026, 3, 16))
    assert Notification.objects.filter(recipient=cast.volunteer_mataram, kind="task_assigned").count() == 1


def test_the_villages_volunteers_get_it_when_none_is_assigned_and_officials_when_no_volunteer(cast, clock):
    unassigned = client_in(cast.kasongan_baru.code)
    no_volunteer_village = client_in(cast.tamiang_layang.code)  # no field worker there at all
    clock(14)
    followup_sweep()
    assert [t.assignee for t in open_tasks(unassigned)] == [cast.volunteer_katingan]
    # Tamiang Layang has no volunteer and no official: straight to tier 3, and the province's coordinator
    # (Barito Timur has none of its own) both is told and holds the task.
    assert tier_of(no_volunteer_village) == 3
    assert [t.assignee for t in open_tasks(no_volunteer_village)] == [cast.coordinator_kalteng]
    assert Notification.objects.filter(recipient=cast.coordinator_kalteng, kind="followup_tier3").count() == 1


def test_tiers_follow_every_three_days_and_tier_three_tells_the_coordinator_and_the_case_facility(
    cast, clock
):
    client = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    Escalation.objects.create(
        client=client,
        need="counseling",
        status="accepted",
        facility=cast.pkm_kasongan,
        assigned_to=cast.counselor_near,
    )
    sweep_until(clock, 16)
    assert tier_of(client) == 1
    clock(17)
    followup_sweep()
    assert tier_of(client) == 2
    (village_task,) = open_tasks(client, "follow_up_village")
    assert village_task.assignee == cast.official_katingan
    assert village_task.due_on == date(2026, 3, 21)
    sweep_until(clock, 20, first_day=18)
    assert tier_of(client) == 3
    told = Notification.objects.filter(kind="followup_tier3").order_by("recipient__phone")
    assert {n.recipient for n in told} == {cast.coordinator_katingan, cast.facility_admin_kasongan}
    assert all(client.code in n.body and "20 hari" in n.body for n in told)
    assert cast.coordinator_kalteng not in {n.recipient for n in told}  # the regency's, not the province's
    # The earlier tiers' tasks stay open: the named people keep trying.
    assert open_tasks(client).count() == 2


def test_the_village_task_names_the_family_only_as_a_way_in_with_contact_family_consent(cast, clock):
    with_family = client_in(
        cast.kasongan_baru.code,
        volunteers=[cast.volunteer_katingan],
        consents=("data_collection", "contact_family"),
    )
    FamilyMemberFactory(
        client=with_family, linked_by=cast.official_katingan, name="Ibu Sari", phone="081377770001"
    )
    without = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    FamilyMemberFactory(
        client=without, linked_by=cast.official_katingan, name="Ibu Ani", phone="081377770002"
    )
    sweep_until(clock, 17)
    (note_with,) = open_tasks(with_family, "follow_up_village").values_list("note", flat=True)
    (note_without,) = open_tasks(without, "follow_up_village").values_list("note", flat=True)
    assert "keluarga dapat dihubungi melalui Anda" in note_with
    assert "keluarga" not in note_without
    assert not any(secret in note_with for secret in ("Sari", "081377770001", "+6281377770001"))


def test_three_failed_attempts_in_a_row_start_an_episode_and_another_result_breaks_the_row(cast, clock):
    client = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    broken = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    log(cast.volunteer_katingan, client)
    log(cast.volunteer_katingan, broken)
    for day in (1, 2, 3):
        clock(day)
        log(cast.volunteer_katingan, client, "no_answer")
        log(cast.volunteer_katingan, broken, "in_hospital" if day == 2 else "wrong_number")
    clock(4)
    followup_sweep()
    assert FollowUpState.objects.get(client=client).trigger == "failed_attempts"
    assert open_tasks(client).get().note.startswith("3 upaya kontak berturut-turut tidak berhasil.")
    assert tier_of(broken) == 0


def test_a_missed_planned_visit_starts_an_episode_and_any_contact_since_defuses_it(cast, clock):
    missed = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    called = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    for client in (missed, called):
        VisitFactory(client=client, logged_by=cast.volunteer_katingan, next_visit_on="2026-03-05")
    clock(2)
    log(cast.volunteer_katingan, called)  # reached on the 4th: before the plan, not since
    clock(3)
    followup_sweep()
    assert tier_of(missed) == tier_of(called) == 0  # planned for today (the 5th): not missed yet
    clock(4)
    log(cast.volunteer_katingan, called)
    followup_sweep()
    assert FollowUpState.objects.get(client=missed).trigger == "missed_visit"
    assert "05-03-2026 terlewat" in open_tasks(missed).get().note
    assert tier_of(called) == 0


@pytest.mark.parametrize(
    ("status", "days"), [("post_rehab", 7), ("outpatient", 7), ("community_recovery", 14), ("methadone", 14)]
)
def test_the_no_contact_limit_is_tighter_after_rehab_and_early_in_outpatient_care(cast, clock, status, days):
    client = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan], status="escalated")
    client_transition(
        client_id=client.id, to_status=status if status != "post_rehab" else "outpatient", actor=None
    )
    if status == "post_rehab":
        client_transition(client_id=client.id, to_status="post_rehab", actor=None)
    Task.objects.filter(client=client).delete()  # post-rehab plans visits: not what this test counts
    sweep_until(clock, days - 1)
    assert tier_of(client) == 0
    clock(days)
    followup_sweep()
    assert tier_of(client) == 1


def test_outpatient_care_started_over_30_days_ago_has_the_usual_limit(cast, clock):
    client = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan], status="escalated")
    client_transition(client_id=client.id, to_status="outpatient", actor=None)
    clock(30)
    log(cast.volunteer_katingan, client)
    clock(37)
    followup_sweep()
    assert tier_of(client) == 0
    clock(44)
    followup_sweep()
    assert tier_of(client) == 1


def test_clients_not_followed_are_left_alone(cast, clock):
    inpatient = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan], status="inpatient")
    recovered = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan], status="recovered")
    dropped = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan], status="dropped_out")
    no_consent = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan], consents=())
    sweep_until(clock, 40)
    assert not Task.objects.exists() and not Notification.objects.exists()
    assert [
        c.status
        for c in Client.objects.filter(
            id__in=[inpatient.id, recovered.id, dropped.id, no_consent.id]
        ).order_by("code")
    ] == [
        "inpatient",
        "recovered",
        "dropped_out",
        "community_recovery",
    ]


def test_consent_withdrawal_stops_the_follow_up_of_that_client(cast, clock):
    client = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    other = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    sweep_until(clock, 14)
    assert open_tasks(client).count() == 1
    clock(15)
    consent_record(actor=cast.official_katingan, client=client, scope="data_collection", given=False)
    assert not open_tasks(client).exists()
    assert Task.objects.get(client=client).status == "cancelled"
    assert tier_of(client) == 0
    before, about = (
        Notification.objects.count(),
        Notification.objects.filter(body__contains=client.code).count(),
    )
    sweep_until(clock, 45, first_day=15)
    assert not open_tasks(client).exists()
    assert Client.objects.get(id=client.id).status == "community_recovery"  # never made lost_contact either
    assert Notification.objects.filter(body__contains=client.code).count() == about  # nothing new about them
    assert Notification.objects.count() > before  # the other client went on up the ladder
    assert Client.objects.get(id=other.id).status == "lost_contact"


def test_the_beat_task_sweeps_an_area_once_its_local_morning_has_come(cast, clock, jayapura):
    wib = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    wita = client_in(cast.ampenan_selatan.code, volunteers=[cast.volunteer_mataram])
    wit = client_in(jayapura.village, volunteers=[jayapura.volunteer])
    clock(13, hour=22)  # 05:00 WIB, 06:00 WITA, 07:00 WIT on the 14th day
    counts = followup_sweep_daily()
    assert (tier_of(wib), tier_of(wita), tier_of(wit)) == (0, 1, 1)
    assert counts["start"] == 2
    assert followup_sweep_daily()["evaluated"] == 0  # an hour later nothing is read again
    clock(13, hour=23)
    followup_sweep_daily()
    assert tier_of(wib) == 1


def test_a_withdrawal_that_announced_nothing_still_stops_the_episode_at_the_next_sweep(cast, clock):
    """The ledger row alone (e.g. written by a data fix, no ConsentWithdrawn event): the sweep is the safety net."""
    client = client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])
    sweep_until(clock, 14)
    consent_set(client, "data_collection", False, cast.official_katingan)
    assert open_tasks(client).count() == 1
    clock(15)
    assert followup_sweep()["stop"] == 1
    assert Task.objects.get(client=client).status == "cancelled" and tier_of(client) == 0
    sweep_until(clock, 40, first_day=16)
    assert not open_tasks(client).exists()
