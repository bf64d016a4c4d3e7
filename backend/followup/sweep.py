"""The daily follow-up sweep, one area (regency) at a time, set-based: it must serve 50,000 clients a province.

Per area: one query loads the facts of every followed client not yet evaluated today (facts.py); the rules
decide in plain Python (rules.evaluate); the few clients that need a step (start, escalate, end, stop, lost) are
worked in chunks, each chunk one transaction that locks its clients' rows then their follow-up states (in id
order, the order a contact's upload takes them too), re-checks that nothing changed since the read (a client
reached meanwhile is left for the next run), and gets its people in a few queries; everyone else is marked
evaluated with one statement. Then each field worker's queue of follow-up tasks is opened up to their daily cap,
best first (backend/tasks/workload.py). Rerunning it the same day reads nothing and opens nothing more; tasks
and messages are idempotent by their keys besides (client, episode start date, tier).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Left
from django.utils import timezone

from backend.common.errors import DomainError
from backend.followup.actions import episodes_end, lost_contact, tier_enter
from backend.followup.facts import People, facts_load, people_load
from backend.followup.models import FollowUpState
from backend.followup.rules import (
    END,
    ESCALATE,
    FOLLOWED,
    LOST,
    START,
    STOP,
    Decision,
    Facts,
    Rules,
    evaluate,
    rules_for,
)
from backend.recovery.models import Client, clients_seen
from backend.tasks.models import TaskStatus
from backend.tasks.rules import TaskSpec, tasks_ensure_many
from backend.tasks.workload import area_task_settings, tasks_release
from notifications.services import Notice, notify_many
from villages.models import Region

logger = logging.getLogger(__name__)
CHUNK = 200
_STATE_FIELDS = ["tier", "tier_since", "episode_started_on", "trigger", "last_evaluated_on", "updated_at"]


def followup_sweep(
    *,
    now: datetime | None = None,
    area_codes: Iterable[str] | None = None,
    from_local_hour: int | None = None,
) -> dict[str, int]:
    """Sweep every regency with followed clients (or `area_codes`), each on its local date; with
    `from_local_hour`, only areas whose local time has reached that hour. Returns counts of what was done."""
    now = now or timezone.now()
    areas = sorted(area_codes) if area_codes is not None else _areas_with_clients()
    zones = dict(Region.objects.filter(code__in=areas).values_list("code", "timezone"))
    totals: Counter[str] = Counter()
    for area in areas:
        local = now.astimezone(ZoneInfo(zones.get(area) or settings.TIME_ZONE))
        if from_local_hour is None or local.hour >= from_local_hour:
            totals.update(followup_sweep_area(area_code=area, today=local.date(), now=now))
    return dict(totals)


def _areas_with_clients() -> list[str]:
    """Regency codes ("62.06": a village code's first five characters) of the followed clients."""
    codes = Client.objects.filter(status__in=FOLLOWED).annotate(area=Left("village_id", 5))
    return sorted(set(codes.values_list("area", flat=True).distinct()))


def followup_sweep_area(*, area_code: str, today: date, now: datetime | None = None) -> Counter[str]:
    """Evaluate the area's followed clients not evaluated `today` (the area's local date) and take the steps."""
    now = now or timezone.now()
    rules = rules_for(area_code=area_code)
    facts = facts_load(area_code=area_code, not_evaluated_on=today)
    counts: Counter[str] = Counter(evaluated=len(facts))
    lagging = [(f.client_id, f.last_contact_at) for f in facts if f.last_contact_at != f.column_contact_at]
    if lagging:  # a contact stored while its client's row was busy: catch the column up
        clients_seen(contacts=lagging)  # type: ignore[arg-type]
        counts["last_contact_caught_up"] += len(lagging)
        facts = [replace(f, column_contact_at=f.last_contact_at) for f in facts]
    work, quiet = [], []
    for f in facts:
        d = evaluate(f, today, rules)
        if d.step in (
            START,
            ESCALATE,
            END,
            LOST,
            STOP,
        ):  # a step to take; skip, nothing, keep: just evaluated
            work.append((f, d))
        else:
            quiet.append(f)
            counts[d.step] += 1
    for i in range(0, len(work), CHUNK):
        counts.update(_work_chunk(work[i : i + CHUNK], today, rules, now))
    _mark_evaluated([f.client_id for f in quiet], today, now)
    # The day's places of each field worker: the best of their queue, new tasks of today's run included.
    cap = area_task_settings(area_code).daily_followup_cap
    released = tasks_release(area_code=area_code, today=today, cap=cap)
    if released:
        counts["tasks_released"] += len(released)
    return counts


def _work_chunk(
    chunk: list[tuple[Facts, Decision]], today: date, rules: Rules, now: datetime
) -> Counter[str]:
    counts: Counter[str] = Counter()
    ids = [f.client_id for f, _d in chunk]
    with transaction.atomic():
        current = {
            cid: (last, status)
            for cid, last, status in Client.objects.select_for_update()
            .filter(id__in=ids)
            .order_by("id")
            .values_list("id", "last_contact_at", "status")
        }
        FollowUpState.objects.bulk_create([FollowUpState(client_id=i) for i in ids], ignore_conflicts=True)
        states = {
            s.client_id: s
            for s in FollowUpState.objects.select_for_update().filter(client_id__in=ids).order_by("client_id")
        }
        stepping = {f.client_id: f.village_id for f, d in chunk if d.step in (START, ESCALATE)}
        people = people_load(stepping, with_cases=True, with_family=True) if stepping else People()
        saved: list[FollowUpState] = []
        specs: list[TaskSpec] = []
        notices: list[Notice] = []
        for f, d in chunk:
            s = states[f.client_id]
            seen = (s.tier, s.tier_since, s.episode_started_on, s.paused_until)
            if current.get(f.client_id) != (f.column_contact_at, f.status) or seen != (
                f.tier,
                f.tier_since,
                f.episode_started_on,
                f.paused_until,
            ):
                counts["changed_meanwhile"] += 1  # reached (or moved on) since the read: the next run sees it
                continue
            try:
                counts.update(_step(f, d, s, today, rules, people, specs, notices))
            except DomainError:
                logger.warning("follow-up step %s of client %s refused", d.step, f.client_id, exc_info=True)
                continue
            s.last_evaluated_on, s.updated_at = today, now
            saved.append(s)
        counts["tasks"] += len(tasks_ensure_many(specs, today=today))
        counts["notified"] += len(notify_many(notices))
        _states_save(saved)
    return counts


def _step(
    f: Facts,
    d: Decision,
    s: FollowUpState,
    today: date,
    rules: Rules,
    people: People,
    specs: list[TaskSpec],
    notices: list[Notice],
) -> Counter[str]:
    counts: Counter[str] = Counter({d.step: 1})
    if d.step in (START, ESCALATE):
        if d.step == START:
            s.episode_started_on, s.trigger = today, d.trigger
        tier = 1 if d.step == START else d.tier
        kw = {"f": f, "d": d, "state": s, "today": today, "rules": rules, "people": people}
        tier_enter(tier=tier, specs=specs, notices=notices, **kw)  # type: ignore[arg-type]
    elif d.step in (END, STOP):  # reached since (done), or no longer to be followed (cancelled)
        status = TaskStatus.DONE if d.step == END else TaskStatus.CANCELLED
        counts["tasks_closed"] += episodes_end(client_ids=[f.client_id], status=status)
        s.refresh_from_db()
    elif d.step == LOST:
        with transaction.atomic():  # a refused transition leaves the rest of the chunk standing
            lost_contact(f=f, d=d)  # the status change ends the episode (handlers.py)
        s.refresh_from_db()
    return counts


def _states_save(states: list[FollowUpState]) -> None:
    """Write the chunk's states in one UPDATE (Django's bulk_update builds a CASE per field and row: slower)."""
    if not states:
        return
    table = connection.ops.quote_name(FollowUpState._meta.db_table)
    columns = {name: [getattr(s, name) for s in states] for name in ["client_id", *_STATE_FIELDS]}
    types = {"client_id": "uuid", "tier": "smallint", "trigger": "text", "updated_at": "timestamptz"}
    unnest = ", ".join(f"%s::{types.get(name, 'date')}[]" for name in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in _STATE_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} s SET {assignments} FROM unnest({unnest}) AS v({', '.join(columns)}) "
            "WHERE s.client_id = v.client_id",
            list(columns.values()),
        )


def _mark_evaluated(client_ids: list, today: date, now: datetime) -> None:  # type: ignore[type-arg]
    """One statement: the clients evaluated today with nothing to do (a state row made where missing)."""
    if not client_ids:
        return
    table = connection.ops.quote_name(FollowUpState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (client_id, tier, trigger, last_evaluated_on, updated_at) "
            "SELECT unnest(%s::uuid[]), 0, '', %s, %s "
            "ON CONFLICT (client_id) DO UPDATE SET last_evaluated_on = EXCLUDED.last_evaluated_on",
            [client_ids, today, now],
        )
