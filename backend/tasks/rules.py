"""Field tasks: the rules that create them, and the visits that complete them.

Rules (called by the escalation services and by the reactions to recovery's events, handlers.py) create tasks
idempotently: each carries a `rule_key` naming the rule,
the event and the assignee (`accompany:<escalation>:<user>`), unique in the table, so a repeated or concurrent
event finds the task instead of making a second one. Due dates are calendar dates in the client's area.

A logged visit completes the open tasks of that client assigned to the visit's author whose kind it fits:
- accompany: an accompaniment to a facility;
- post_rehab_visit: a post-rehab support visit or a home visit;
- follow_up, missed_appointment, follow_up_contact, follow_up_village: any contact.
A `reached` contact attempt completes its author's tasks of the any-contact kinds the same way.
Only visits and attempts that happened after the task was created count (an old one synced late completes
nothing). A queued task (held back by the daily cap, workload.py) is completed the same way: the work was done.

Every task gets a priority when made (priority.py); a task made open records the area's date it was given
(`released_on`), which the daily cap of new follow-up tasks counts.

No task is made about a client who withdrew data-collection consent (`Client.consent_withdrawn_at`): task_ensure
refuses with 409 `consent_withdrawn`, a batch leaves them out, and the withdrawal cancels their open and queued
tasks.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from backend.accounts.models import User
from backend.common.errors import ConsentWithdrawnError
from backend.recovery.lifecycle import ClientStatus
from backend.recovery.models import Client, ContactAttempt, ContactResult, Visit
from backend.sync.changelog import change_record, change_record_addressed
from backend.tasks.models import Task, TaskKind, TaskStatus
from backend.tasks.priority import task_priority
from notifications.services import Notice, notify, notify_many
from villages.calendar import local_date

ANY_CONTACT = None
VISIT_TYPES_FOR: dict[str, frozenset[str] | None] = {
    TaskKind.ACCOMPANY: frozenset({"accompaniment"}),
    TaskKind.POST_REHAB_VISIT: frozenset({"post_rehab_support", "home_visit"}),
    TaskKind.FOLLOW_UP: ANY_CONTACT,
    TaskKind.MISSED_APPOINTMENT: ANY_CONTACT,
    TaskKind.FOLLOW_UP_CONTACT: ANY_CONTACT,
    TaskKind.FOLLOW_UP_VILLAGE: ANY_CONTACT,
}
# Open, or held back by the daily cap: the statuses a visit or a reach completes.
PENDING = (TaskStatus.OPEN, TaskStatus.QUEUED)


def kinds_completed_by(visit_type: str) -> list[str]:
    """Task kinds a visit of `visit_type` completes (pure)."""
    return [k for k, types in VISIT_TYPES_FOR.items() if types is None or visit_type in types]


def task_log_change(task: Task) -> None:
    change_record(entity="task", entity_id=task.id, client_id=task.client_id, user_id=task.assignee_id)


def tasks_log_change(tasks: Iterable[Task]) -> None:
    """`task_log_change` for many tasks, in one INSERT."""
    change_record_addressed(entity="task", rows=[(t.id, t.client_id, t.assignee_id) for t in tasks])


def task_assigned_notice(task: Task, *, client_code: str) -> Notice:
    """The assignee's notification of an open task (one per task and due date)."""
    return Notice(
        recipient=task.assignee,
        kind="task_assigned",
        event_key=f"task:{task.id}:{task.due_on.isoformat()}",
        params={"client_code": client_code, "due_at": task.due_on.strftime("%d-%m-%Y")},
        data={"task_id": str(task.id), "client_id": str(task.client_id)},
    )


def task_save(task: Task, *fields: str) -> None:
    """Save `fields` with a new version and the change logged (the assignee's phone learns of it)."""
    task.version += 1
    task.updated_at = timezone.now()
    task.save(update_fields=[*fields, "version", "updated_at"])
    task_log_change(task)


def task_ensure(
    *,
    kind: str,
    assignee: User,
    due_on: date,
    rule_key: str,
    client_id: uuid.UUID,
    escalation_id: uuid.UUID | None = None,
    reopen: bool = False,
    note: str = "",
    priority: int | None = None,
    urgent: bool = False,
) -> tuple[Task, bool]:
    """The task of `rule_key`, created if missing (the assignee is notified; `note` is its first note); an
    existing one gets the new due date, and with `reopen` a done task opens again (a moved appointment needs
    accompanying again). `priority` defaults to the kind's (priority.py), raised for a post-rehab client and
    an `urgent` escalation; a new task is given today (`released_on`, the client's area's date). A client who
    withdrew data-collection consent: 409 `consent_withdrawn`."""
    if Client.objects.filter(id=client_id, consent_withdrawn_at__isnull=False).exists():
        raise ConsentWithdrawnError()
    status, tz = Client.objects.values_list("status", "village__timezone").get(id=client_id)
    if priority is None:
        priority = task_priority(kind, post_rehab=status == ClientStatus.POST_REHAB, urgent=urgent)
    task, created = Task.objects.get_or_create(
        rule_key=rule_key,
        defaults={
            "kind": kind,
            "client_id": client_id,
            "escalation_id": escalation_id,
            "assignee": assignee,
            "due_on": due_on,
            "note": note,
            "priority": priority,
            "released_on": local_date(instant=timezone.now(), tz=tz),
        },
    )
    if created:
        task_log_change(task)
    else:
        changed = []
        if task.due_on != due_on and task.status != TaskStatus.CANCELLED:
            task.due_on = due_on
            changed.append("due_on")
        if reopen and task.status == TaskStatus.DONE:
            task.status, task.completed_at, task.completed_by_visit = TaskStatus.OPEN, None, None
            changed += ["status", "completed_at", "completed_by_visit"]
        if not changed:
            return task, False
        task_save(task, *changed)
    if task.status == TaskStatus.OPEN:
        notify(
            recipient=assignee,
            kind="task_assigned",
            event_key=f"task:{task.id}:{task.due_on.isoformat()}",
            params={"client_code": task.client.code, "due_at": task.due_on.strftime("%d-%m-%Y")},
            data={"task_id": str(task.id), "client_id": str(task.client_id)},
        )
    return task, created


@dataclass(frozen=True)
class TaskSpec:
    """One task for `tasks_ensure_many` (what task_ensure takes, and the client's code for the notification)."""

    kind: str
    assignee: User
    due_on: date
    rule_key: str
    client_id: uuid.UUID
    client_code: str
    note: str = ""
    priority: int = 50
    # Counts against the assignee's daily cap of new follow-up tasks: made `queued`, released by workload.py.
    capped: bool = False


def tasks_ensure_many(specs: Iterable[TaskSpec], *, today: date) -> list[Task]:
    """task_ensure for a batch of new tasks (a daily sweep makes hundreds): the missing ones go in with one
    `INSERT ... ON CONFLICT DO NOTHING` (rule_key), then each one created is logged and, if open, its assignee
    notified, as task_ensure does. A capped spec goes in `queued` (not notified: workload.tasks_release opens
    it, the best first, within the cap); the others open, given `today` (the area's date). A task whose
    rule_key exists is left as it is (no new due date, no reopening). The change log rows and notifications go
    in one INSERT each (pushed after commit, in batches). Returns the tasks created."""
    by_key = {s.rule_key: s for s in specs}
    withdrawn = set(
        Client.objects.filter(
            id__in={s.client_id for s in by_key.values()}, consent_withdrawn_at__isnull=False
        ).values_list("id", flat=True)
    )
    by_key = {key: s for key, s in by_key.items() if s.client_id not in withdrawn}
    if not by_key:
        return []
    rows = [
        Task(
            id=uuid.uuid4(),
            kind=s.kind,
            client_id=s.client_id,
            assignee=s.assignee,
            due_on=s.due_on,
            rule_key=s.rule_key,
            note=s.note,
            priority=s.priority,
            status=TaskStatus.QUEUED if s.capped else TaskStatus.OPEN,
            released_on=None if s.capped else today,
        )
        for s in sorted(by_key.values(), key=lambda s: s.rule_key)  # one lock order for concurrent sweeps
    ]
    inserted = _tasks_insert(rows)
    created = [t for t in rows if t.id in inserted]
    for task in created:
        task._state.adding, task._state.db = False, "default"
    tasks_log_change(created)
    notify_many(
        [
            task_assigned_notice(t, client_code=by_key[t.rule_key].client_code)
            for t in created
            if t.status == TaskStatus.OPEN
        ]
    )
    return created


_TASK_COLUMNS = (
    "id uuid, kind text, client_id uuid, assignee_id uuid, due_on date, status text, priority smallint,"
    " released_on date, note text, rule_key text, version integer, created_at timestamptz, updated_at timestamptz"
)


def _tasks_insert(rows: list[Task]) -> set[uuid.UUID]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id of new tasks (no escalation, not completed), in one statement
    with one JSON parameter (Django's bulk_create prepares every value and a placeholder each: a quarter of a
    sweep's time). Rows go in the order given. Returns the ids stored."""
    if not rows:
        return set()
    payload = json.dumps(
        [
            {
                "id": str(t.id),
                "kind": t.kind,
                "client_id": str(t.client_id),
                "assignee_id": str(t.assignee_id),
                "due_on": t.due_on.isoformat(),
                "status": t.status,
                "priority": t.priority,
                "released_on": t.released_on.isoformat() if t.released_on else None,
                "note": t.note,
                "rule_key": t.rule_key,
                "version": t.version,
                "created_at": t.created_at.isoformat(),
                "updated_at": t.updated_at.isoformat(),
            }
            for t in rows
        ]
    )
    columns = ", ".join(c.split()[0] for c in _TASK_COLUMNS.split(", "))
    table = connection.ops.quote_name(Task._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({_TASK_COLUMNS}) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [payload],
        )
        return {row[0] for row in cursor.fetchall()}


def tasks_cancel_for(*, escalation_id: uuid.UUID, kinds: tuple[str, ...]) -> int:
    """Cancel the open tasks of these kinds made for the escalation; returns how many."""
    tasks = list(
        Task.objects.select_for_update().filter(
            escalation_id=escalation_id, kind__in=kinds, status=TaskStatus.OPEN
        )
    )
    for task in tasks:
        task.status = TaskStatus.CANCELLED
        task_save(task, "status")
    return len(tasks)


def tasks_cancel_for_client(*, client_id: uuid.UUID) -> int:
    """Cancel every open or queued task about the client (data-collection consent withdrawn); returns how many.
    Each assignee's phone learns of it (the feed answers `leave`: the client is no longer in their set)."""
    tasks = list(
        Task.objects.select_for_update()
        .filter(client_id=client_id, status__in=(TaskStatus.OPEN, TaskStatus.QUEUED))
        .order_by("id")
    )
    for task in tasks:
        task.status = TaskStatus.CANCELLED
        task_save(task, "status")
    return len(tasks)


def post_rehab_tasks_plan(
    *, client_id: uuid.UUID, tz: str, days: Iterable[int] | None = None, start: date | None = None
) -> list[Task]:
    """Post-rehab support visits `days` after `start` (the area's schedule: workload.area_task_settings;
    default TASKS_POST_REHAB_VISIT_DAYS, 7, 30 and 90) for the client's volunteers (call on entering post-rehab); the first visit has the
    higher priority. Idempotent per (client, start date, visit, volunteer)."""
    client = Client.objects.get(id=client_id)
    if client.consent_withdrawn_at is not None:
        return []
    start = start or local_date(instant=timezone.now(), tz=tz)
    schedule = sorted(set(settings.TASKS_POST_REHAB_VISIT_DAYS if days is None else days))
    made = []
    for user in client.assigned_volunteers.filter(is_active=True):
        for after in schedule:
            priority = task_priority(
                TaskKind.POST_REHAB_VISIT, post_rehab=True, first_post_rehab_visit=after == schedule[0]
            )
            task, _new = task_ensure(
                kind=TaskKind.POST_REHAB_VISIT,
                assignee=user,
                due_on=start + timedelta(days=after),
                rule_key=f"post_rehab:{client.id}:{start:%Y%m%d}:{after}:{user.id}",
                client_id=client.id,
                priority=priority,
            )
            made.append(task)
    return made


def tasks_complete_for_visits(*, visits: Iterable[Visit], logged_by_id: uuid.UUID) -> list[Task]:
    """Complete the open tasks a batch of visits by one author fulfils; inside the visits' transaction.

    The same outcome as `tasks_complete_for_visit` for each visit in (client, time) order, in three statements
    whatever the batch's size: the author's open tasks of these clients, locked in one stable order (client, due
    date, id: concurrent batches wait for each other rather than deadlock), one UPDATE of those done, one INSERT
    of their changes."""
    visits = sorted(visits, key=lambda v: (str(v.client_id), v.occurred_at))
    if not visits:
        return []
    kinds = {k for t in {v.type for v in visits} for k in kinds_completed_by(t)}
    open_tasks: dict[uuid.UUID, list[Task]] = {}
    for task in (
        Task.objects.select_for_update()
        .filter(
            client_id__in={v.client_id for v in visits},
            assignee_id=logged_by_id,
            status__in=PENDING,
            kind__in=kinds,
            created_at__lte=max(v.occurred_at for v in visits),
        )
        .order_by("client_id", "due_on", "id")
    ):
        open_tasks.setdefault(task.client_id, []).append(task)
    if not open_tasks:
        return []
    done: list[Task] = []
    now = timezone.now()
    for visit in visits:
        pending = open_tasks.get(visit.client_id)
        if not pending:
            continue
        fits = set(kinds_completed_by(visit.type))
        for task in [t for t in pending if t.kind in fits and t.created_at <= visit.occurred_at]:
            task.status, task.completed_at, task.completed_by_visit = TaskStatus.DONE, now, visit.id
            task.version += 1
            task.updated_at = now
            pending.remove(task)
            done.append(task)
    if done:
        Task.objects.bulk_update(
            done, ["status", "completed_at", "completed_by_visit", "version", "updated_at"]
        )
        change_record_addressed(entity="task", rows=[(t.id, t.client_id, t.assignee_id) for t in done])
    return done


def tasks_complete_for_visit(*, visit: Visit) -> list[Task]:
    """Complete the open tasks a logged visit fulfils (see the module docstring). Call inside the visit's
    transaction; returns the tasks completed."""
    tasks = list(
        Task.objects.select_for_update()
        .filter(
            client_id=visit.client_id,
            assignee_id=visit.logged_by_id,
            status__in=PENDING,
            kind__in=kinds_completed_by(visit.type),
            created_at__lte=visit.occurred_at,
        )
        .order_by("due_on")
    )
    for task in tasks:
        task.status, task.completed_at, task.completed_by_visit = TaskStatus.DONE, timezone.now(), visit.id
        task_save(task, "status", "completed_at", "completed_by_visit")
    return tasks


def tasks_complete_for_contacts(*, attempts: Iterable[ContactAttempt], logged_by_id: uuid.UUID) -> list[Task]:
    """Complete the author's open any-contact tasks that a batch of `reached` attempts fulfils (other results
    complete nothing); inside the attempts' transaction, tasks locked in a stable order (client, due date)."""
    reached: dict[uuid.UUID, ContactAttempt] = {}
    for a in attempts:
        if a.result == ContactResult.REACHED and (
            a.client_id not in reached or a.occurred_at > reached[a.client_id].occurred_at
        ):
            reached[a.client_id] = a  # the latest per client: any earlier task is fulfilled by it too
    if not reached:
        return []
    any_contact = [k for k, types in VISIT_TYPES_FOR.items() if types is ANY_CONTACT]
    tasks = list(
        Task.objects.select_for_update()
        .filter(client_id__in=reached, assignee_id=logged_by_id, status__in=PENDING, kind__in=any_contact)
        .order_by("client_id", "due_on", "id")
    )
    done = []
    for task in tasks:
        if task.created_at <= reached[task.client_id].occurred_at:
            task.status, task.completed_at = TaskStatus.DONE, timezone.now()
            task_save(task, "status", "completed_at")
            done.append(task)
    return done
