"""What a field worker can carry: at most a number of new follow-up tasks a day, the rest queued, never dropped.

The follow-up sweep makes its tier-1 and tier-2 tasks `queued` (rules.tasks_ensure_many with `capped` specs);
after the area's clients are evaluated it calls `tasks_release`, which opens, for each assignee, the best of
their queue (priority, then due date, then age) up to TASKS_DAILY_FOLLOWUP_CAP less the follow-up tasks
already given to them that day (`released_on`, the area's date). The queue drains on later days the same way;
a queued task whose client is reached, or whose episode stops, is closed with the episode (backend/followup).
A rerun the same day finds the day's places taken and opens nothing.

A queued task is not the assignee's yet: it does not count as an open follow-up task anywhere (the follow-up's
"someone holds an open task", the invariant, the digest). So a client whose volunteer's day is full still
climbs the ladder: tier 2 (the village official, capped the same way) and tier 3, where the coordinator gets an
open task, never capped, if no one holds one. That is what keeps the issue's invariant with a cap.

Per-area knobs (AreaTaskSettings: the cap, the post-rehab schedule) are looked up from the village up to the
province; the first area that sets a knob wins, then settings.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from backend.accounts.models import User
from backend.tasks.models import AreaTaskSettings, Task, TaskKind, TaskStatus
from backend.tasks.rules import task_assigned_notice, tasks_log_change
from notifications.services import notify_many

CAPPED_KINDS = (TaskKind.FOLLOW_UP_CONTACT, TaskKind.FOLLOW_UP_VILLAGE)
QUEUE_ORDER = ("-priority", "due_on", "created_at", "id")


@dataclass(frozen=True)
class AreaTaskKnobs:
    daily_followup_cap: int
    post_rehab_visit_days: tuple[int, ...]


def ancestor_codes(code: str) -> list[str]:
    """The code and its enclosing areas' codes, nearest first: '62.06.02.1003' -> [.., '62.06', '62']."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def area_task_settings(code: str) -> AreaTaskKnobs:
    """The knobs in force in an area or village (one query): the nearest area that sets each, else settings."""
    chain = ancestor_codes(code)
    rows = {row.region_id: row for row in AreaTaskSettings.objects.filter(region_id__in=chain)}
    nearest = [rows[c] for c in chain if c in rows]
    cap = next((r.daily_followup_cap for r in nearest if r.daily_followup_cap is not None), None)
    days = next((r.post_rehab_visit_days for r in nearest if r.post_rehab_visit_days), None)
    return AreaTaskKnobs(
        daily_followup_cap=settings.TASKS_DAILY_FOLLOWUP_CAP if cap is None else cap,
        post_rehab_visit_days=tuple(days or settings.TASKS_POST_REHAB_VISIT_DAYS),
    )


def given_on(*, assignee_ids: Iterable[uuid.UUID], day: date) -> dict[uuid.UUID, int]:
    """New follow-up tasks given to each assignee on `day` (whatever became of them since), one query."""
    rows = (
        Task.objects.filter(assignee_id__in=list(assignee_ids), kind__in=CAPPED_KINDS, released_on=day)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return dict(rows)


def tasks_release(*, area_code: str, today: date, cap: int) -> list[Task]:
    """Open the best queued follow-up tasks of the area's clients, per assignee, up to `cap` given today; the
    assignee is notified of each as of a new task. One transaction; the assignees' rows are locked first (in id
    order) so two sweeps cannot both fill one person's day. Returns the tasks opened."""
    with transaction.atomic():
        queued = Task.objects.filter(
            status=TaskStatus.QUEUED, kind__in=CAPPED_KINDS, client__village__code__startswith=area_code + "."
        )
        assignees = sorted(set(queued.values_list("assignee_id", flat=True)), key=str)
        if not assignees:
            return []
        list(User.objects.select_for_update().filter(id__in=assignees).order_by("id").values_list("id"))
        given = given_on(assignee_ids=assignees, day=today)
        by_assignee: dict[uuid.UUID, list[Task]] = defaultdict(list)
        # Locked, and so read again as committed: a task cancelled meanwhile (its client reached) is passed over.
        locked = queued.select_for_update(of=("self",)).select_related("client", "assignee")
        for task in locked.order_by("assignee_id", *QUEUE_ORDER):
            if len(by_assignee[task.assignee_id]) < cap - given.get(task.assignee_id, 0):
                by_assignee[task.assignee_id].append(task)
        opened = [t for tasks in by_assignee.values() for t in tasks]
        tasks_open(opened, today=today)
    return opened


def tasks_open(tasks: list[Task], *, today: date) -> None:
    """Queued tasks become their assignees' today: due no earlier than today, a new version, logged and
    notified: one UPDATE, one change log INSERT and one of notifications, whatever the number."""
    if not tasks:
        return
    now = timezone.now()
    for task in tasks:
        task.status, task.released_on = TaskStatus.OPEN, today
        task.due_on = max(task.due_on, today)
        task.version += 1
        task.updated_at = now
    ids = [t.id for t in tasks]
    Task.objects.filter(id__in=ids).update(
        status=TaskStatus.OPEN,
        released_on=today,
        due_on=Greatest(F("due_on"), Value(today)),
        version=F("version") + 1,
        updated_at=now,
    )
    tasks_log_change(tasks)
    notify_many([task_assigned_notice(t, client_code=t.client.code) for t in tasks])
