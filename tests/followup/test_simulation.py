"""A synthetic programme driven through a frozen clock: 11 weeks (March to mid-May), three villages in the three
time zones (Kasongan Baru, WIB; Ampenan Selatan, WITA; a Jayapura kelurahan, WIT), one sweep a day.

Every morning (01:00 UTC) the field workers log what they did; every afternoon (16:30 UTC: 23:30 WIB, but
already 00:30 WITA and 01:30 WIT the next day) the sweep runs, so the WITA and WIT villages live one calendar
day ahead of the WIB one, and each area's rules must count in its own calendar. On some days the sweep runs
twice. In each village:
- `regular` is reached every week: never followed up;
- `drifting` is seen on day 0 and never again (two unanswered calls on days 15 and 16): tier 1 after 14 local
  days, tier 2 after 17, tier 3 after 20, lost_contact after 30; in the WIT village they are found on day 40;
- `returning` drifts too but is reached by the village official on day 18 (during tier 2) and weekly after.
Besides: in Kasongan Baru `withdrawing` withdraws data collection consent on day 10; in Ampenan Selatan
`after_rehab` (post-rehab: 7 days) is reached on days 0, 8 and 16, then every 5 days.

Checked every simulated day: a rerun of the sweep creates nothing, and every followed client (active, consent in
force) has had a contact within their limit (and within 30 days) or someone holds an open follow-up task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from backend.access.policy import task_qs_for
from backend.accounts.models import Role, User
from backend.followup.facts import facts_load
from backend.followup.models import FollowUpState
from backend.followup.rules import followed, no_contact_limit, rules_for
from backend.followup.sweep import followup_sweep
from backend.recovery.consents import consent_record
from backend.recovery.models import Client, ClientStatusChange
from backend.tasks.models import Task, TaskStatus
from notifications.models import Notification
from tests.cast import make_user
from tests.followup.helpers import client_in, log
from villages.calendar import local_date

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, tzinfo=UTC)
DAYS = 76
HELD = ("follow_up_contact", "follow_up_village", "client_handover")
RERUN_DAYS = {0, 5, 10, 13, 14, 16, 17, 19, 20, 25, 29, 30, 35, 40, 45, 50, 60, 70}


@dataclass
class Village:
    zone: str
    code: str
    volunteer: User
    official: User
    coordinator: User
    ahead: int  # calendar days the village is ahead of WIB when the sweep runs (16:30 UTC)


@dataclass
class Someone:
    name: str
    village: Village
    client: Client
    plan: dict[int, tuple[str, str]] = field(default_factory=dict)  # day -> (who: volunteer|official, result)
    tiers: dict[int, int] = field(default_factory=dict)  # day -> tier after that day's sweep
    statuses: dict[int, str] = field(default_factory=dict)


def weekly(first: int, last: int = DAYS) -> dict[int, tuple[str, str]]:
    return {d: ("volunteer", "reached") for d in range(first, last, 7)}


def someone(name: str, v: Village, plan: dict, status: str = "community_recovery") -> Someone:  # type: ignore[type-arg]
    consents = ("data_collection", "contact_family")
    client = client_in(v.code, volunteers=[v.volunteer], status=status, consents=consents)
    return Someone(f"{name}@{v.zone}", v, client, plan)


def build(cast, jayapura) -> list[Someone]:  # type: ignore[no-untyped-def]
    official_ampenan = make_user(
        "081200000064", "Lurah Ampenan Selatan", (Role.VILLAGE_OFFICIAL, "52.71.01.1004", None)
    )
    villages = [
        Village(
            "WIB",
            cast.kasongan_baru.code,
            cast.volunteer_katingan,
            cast.official_katingan,
            cast.coordinator_katingan,
            0,
        ),
        Village(
            "WITA",
            cast.ampenan_selatan.code,
            cast.volunteer_mataram,
            official_ampenan,
            cast.coordinator_mataram,
            1,
        ),
        Village("WIT", jayapura.village, jayapura.volunteer, jayapura.official, jayapura.coordinator, 1),
    ]
    people = []
    for v in villages:
        drifting = {
            0: ("volunteer", "reached"),
            15: ("volunteer", "no_answer"),
            16: ("volunteer", "no_answer"),
        }
        if v.zone == "WIT":
            drifting |= {40: ("volunteer", "reached")} | weekly(47)
        people += [
            someone("regular", v, weekly(0)),
            someone("drifting", v, drifting),
            someone("returning", v, {0: ("volunteer", "reached"), 18: ("official", "reached")} | weekly(21)),
        ]
        if v.zone == "WIB":
            people.append(
                someone("withdrawing", v, {0: ("volunteer", "reached"), 10: ("official", "withdraw")})
            )
        if v.zone == "WITA":
            after_rehab = {d: ("volunteer", "reached") for d in (0, 8, 16, *range(21, DAYS, 5))}
            people.append(someone("after_rehab", v, after_rehab, status="post_rehab"))
    return people


def world_snapshot() -> tuple:  # type: ignore[type-arg]
    return (
        sorted(Task.objects.values_list("rule_key", "status", "due_on")),
        Notification.objects.count(),
        ClientStatusChange.objects.count(),
        sorted(FollowUpState.objects.values_list("client_id", "tier", "tier_since", "episode_started_on")),
    )


def assert_everyone_followed_is_covered(people: list[Someone], now: datetime) -> None:
    """The invariant: contact within the client's limit (and within 30 days), or an open follow-up task held by a
    named person. Read from the database, with the rules' own notion of "followed" and "limit"."""
    holding = set(
        Task.objects.filter(kind__in=HELD, status=TaskStatus.OPEN, assignee__is_active=True).values_list(
            "client_id", flat=True
        )
    )
    names = {p.client.id: p.name for p in people}
    for f in facts_load(client_ids=list(names)):
        today = local_date(instant=now, tz=f.tz)
        if not followed(f, today):
            continue
        unseen = (today - f.seen_on).days
        limit = min(no_contact_limit(f, today, rules_for(area_code=f.village_id[:5])), 30)
        assert unseen < limit or f.client_id in holding, (
            f"{names[f.client_id]}: {unseen} days unseen, no one on it"
        )


def first_day(history: dict[int, int], value: int) -> int | None:
    return min((d for d, v in history.items() if v == value), default=None)


def test_a_programme_over_eleven_weeks_in_three_time_zones(cast, jayapura, time_machine):
    time_machine.move_to(START, tick=False)
    people = build(cast, jayapura)
    for day in range(DAYS):
        time_machine.move_to(START + timedelta(days=day, hours=1), tick=False)
        for p in people:
            who, result = p.plan.get(day, (None, None))
            user = p.village.volunteer if who == "volunteer" else p.village.official
            if result == "withdraw":
                consent_record(actor=user, client=p.client, scope="data_collection", given=False)
            elif result:
                assert log(user, p.client, result)["status"] == "created"
        now = START + timedelta(days=day, hours=16, minutes=30)
        time_machine.move_to(now, tick=False)
        followup_sweep()
        if day in RERUN_DAYS:
            before = world_snapshot()
            assert followup_sweep().get("evaluated", 0) == 0  # everyone was evaluated today already
            followup_sweep(area_codes=["62.06", "52.71", "91.71"])
            assert world_snapshot() == before, f"day {day}: a rerun changed something"
        tiers = dict(FollowUpState.objects.values_list("client_id", "tier"))
        statuses = dict(Client.objects.values_list("id", "status"))
        for p in people:
            p.tiers[day], p.statuses[day] = tiers.get(p.client.id, 0), statuses[p.client.id]
        assert_everyone_followed_is_covered(people, now)

    by_name = {p.name: p for p in people}
    for zone in ("WIB", "WITA", "WIT"):
        regular, drifting, returning = (by_name[f"{n}@{zone}"] for n in ("regular", "drifting", "returning"))
        ahead = regular.village.ahead
        # Never followed up: seen every week.
        assert set(regular.tiers.values()) == {0}
        assert not Task.objects.filter(client=regular.client).exists()
        # Tiers in order, on the area's calendar days, then lost contact after 30 days without contact.
        assert [first_day(drifting.tiers, t) for t in (1, 2, 3)] == [14 - ahead, 17 - ahead, 20 - ahead]
        lost_on = min(d for d, s in drifting.statuses.items() if s == "lost_contact")
        assert lost_on == 30 - ahead
        lost = ClientStatusChange.objects.get(client=drifting.client, to_status="lost_contact")
        assert lost.reason == "followup:no_contact_days=30;failed_attempts=2"
        kinds = sorted(Task.objects.filter(client=drifting.client).values_list("kind", "assignee", "status"))
        assert kinds == [
            ("follow_up_contact", drifting.village.volunteer.id, "cancelled"),
            ("follow_up_village", drifting.village.official.id, "cancelled"),
        ]
        told = Notification.objects.filter(kind="followup_tier3", body__contains=drifting.client.code)
        assert [n.recipient for n in told] == [drifting.village.coordinator]
        # The coordinator sees every step of their area: the field tasks too.
        assert set(task_qs_for(user=drifting.village.coordinator).filter(client=drifting.client)) == set(
            Task.objects.filter(client=drifting.client)
        )
        # Reached in tier 2: the tiers stop, the tasks are done, never lost.
        assert first_day(returning.tiers, 2) == 17 - ahead
        assert max(returning.tiers.values()) == 2 and returning.tiers[18] == 0
        assert set(returning.statuses.values()) == {"community_recovery"}
        assert set(Task.objects.filter(client=returning.client).values_list("status", flat=True)) == {"done"}

    found = by_name["drifting@WIT"]
    assert found.statuses[39] == "lost_contact" and found.statuses[40] == "community_recovery"
    assert ClientStatusChange.objects.filter(client=found.client).latest("at").reason == "contact_resumed"
    assert set(v for d, v in found.tiers.items() if d >= 40) == {0}

    withdrawing = by_name["withdrawing@WIB"]
    assert not Task.objects.filter(client=withdrawing.client).exists()
    assert not Notification.objects.filter(body__contains=withdrawing.client.code).exists()
    assert set(withdrawing.statuses.values()) == {"community_recovery"}

    after_rehab = by_name["after_rehab@WITA"]  # 7 days after rehab; WITA is a day ahead at sweep time
    assert [d for d in range(1, DAYS) if after_rehab.tiers[d] and not after_rehab.tiers[d - 1]] == [6, 14]
    episodes = Task.objects.filter(client=after_rehab.client, kind="follow_up_contact")
    assert sorted(episodes.values_list("status", flat=True)) == ["done", "done"]
    assert len({t.rule_key.split(":")[2] for t in episodes}) == 2  # two episodes, two start dates in the keys
    assert timezone.now() > START + timedelta(days=DAYS - 1)
