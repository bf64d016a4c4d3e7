"""Field tasks: the rules that create them, and how they are completed.

Rules (called by the escalation services) create tasks idempotently: each carries a `rule_key` naming the rule,
the event and the assignee (`accompany:<escalation>:<user>`), unique in the table, so a repeated or concurrent
event finds the task instead of making a second one. Due dates are calendar dates in the client's area.

A logged visit completes the open tasks of that client assigned to the visit's author whose kind it fits:
- accompany: an accompaniment to a facility;
- post_rehab_visit: a post-rehab support visit or a home visit;
- follow_up, missed_appointment: any contact.
Only visits that happened after the task was created count (an old visit synced late completes nothing).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.errors import Conflict, ErrorDetail, NotFound, PermissionDenied, ValidationFailed
from backend.escalations.models import Escalation, Task, TaskKind, TaskStatus
from backend.sync.services import change_record

ANY_CONTACT = None
VISIT_TYPES_FOR: dict[str, frozenset[str] | None] = {
    TaskKind.ACCOMPANY: frozenset({"accompaniment"}),
    TaskKind.POST_REHAB_VISIT: frozenset({"post_rehab_support", "home_visit"}),
    TaskKind.FOLLOW_UP: ANY_CONTACT,
    TaskKind.MISSED_APPOINTMENT: ANY_CONTACT,
}
POST_REHAB_VISIT_DAYS = (7, 30, 90)  # support visits after a client comes back from treatment


def kinds_completed_by(visit_type: str) -> list[str]:
    """Task kinds a visit of `visit_type` completes (pure)."""
    return [k for k, types in VISIT_TYPES_FOR.items() if types is None or visit_type in types]


def _record(task: Task) -> None:
    change_record(entity="task", entity_id=task.id, client_id=task.client_id, user_id=task.assignee_id)


def _touch(task: Task, *fields: str) -> None:
    task.version += 1
    task.updated_at = timezone.now()
    task.save(update_fields=[*fields, "version", "updated_at"])
    _record(task)


def task_ensure(
    *,
    kind: str,
    assignee: User,
    due_on: date,
    rule_key: str,
    esc: Escalation | None = None,
    client_id: Any = None,
    reopen: bool = False,
) -> tuple[Task, bool]:
    """The task of `rule_key`, created if missing (the assignee is notified); an existing one gets the new due
    date, and with `reopen` a done task opens again (a moved appointment needs accompanying again)."""
    from notifications.services import notify

    client_id = client_id or esc.client_id  # type: ignore[union-attr]
    task, created = Task.objects.get_or_create(
        rule_key=rule_key,
        defaults={
            "kind": kind,
            "client_id": client_id,
            "escalation": esc,
            "assignee": assignee,
            "due_on": due_on,
        },
    )
    if created:
        _record(task)
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
        _touch(task, *changed)
    if task.status == TaskStatus.OPEN:
        notify(
            recipient=assignee,
            kind="task_assigned",
            event_key=f"task:{task.id}:{task.due_on.isoformat()}",
            params={"client_code": task.client.code, "due_at": task.due_on.strftime("%d-%m-%Y")},
            data={"task_id": str(task.id), "client_id": str(task.client_id)},
        )
    return task, created


def tasks_cancel_for(*, esc: Escalation, kinds: tuple[str, ...]) -> int:
    tasks = list(
        Task.objects.select_for_update().filter(escalation=esc, kind__in=kinds, status=TaskStatus.OPEN)
    )
    for task in tasks:
        task.status = TaskStatus.CANCELLED
        _touch(task, "status")
    return len(tasks)


def post_rehab_tasks_plan(*, client_id: uuid.UUID, tz: str, start: date | None = None) -> list[Task]:
    """Post-rehab support visits at 7, 30 and 90 days for the client's volunteers (call on entering post-rehab).

    Idempotent per (client, start date, visit, volunteer)."""
    from backend.escalations.sla import local_date
    from backend.recovery.models import Client

    client = Client.objects.get(id=client_id)
    start = start or local_date(instant=timezone.now(), tz=tz)
    made = []
    for user in client.assigned_volunteers.filter(is_active=True):
        for days in POST_REHAB_VISIT_DAYS:
            task, _new = task_ensure(
                kind=TaskKind.POST_REHAB_VISIT,
                assignee=user,
                due_on=start + timedelta(days=days),
                rule_key=f"post_rehab:{client.id}:{start:%Y%m%d}:{days}:{user.id}",
                client_id=client.id,
            )
            made.append(task)
    return made


def task_complete(
    *,
    task_id: uuid.UUID,
    actor: User,
    visit_id: uuid.UUID | None = None,
    note: str = "",
    version: int | None = None,
) -> Task:
    """The assignee marks a task done (again: no change). Out of scope: 404; someone else's: 403. An open task
    whose `version` (when sent) is not the one the phone read: 409 `stale_version` with the current task."""
    from backend.escalations.selectors import task_qs_for, task_record
    from backend.recovery.models import Visit

    with transaction.atomic():
        if not task_qs_for(user=actor).filter(id=task_id).exists():
            raise NotFound(_("Tugas tidak ditemukan."), code="task_not_found")
        task = Task.objects.select_for_update().get(id=task_id)
        if task.assignee_id != actor.id:
            raise PermissionDenied(_("Tugas ini bukan milik Anda."), code="not_your_task")
        if task.status == TaskStatus.DONE:
            return task
        if task.status == TaskStatus.CANCELLED:
            raise Conflict(_("Tugas ini sudah dibatalkan."), code="task_cancelled")
        if version is not None and version != task.version:
            raise Conflict(
                _("Tugas sudah diubah di tempat lain."),
                code="stale_version",
                extra={"current": task_record(task)},
            )
        if visit_id is not None and not Visit.objects.filter(id=visit_id, client_id=task.client_id).exists():
            raise ValidationFailed(
                details=[
                    ErrorDetail(
                        "visit_id", "visit_not_found", _("Kunjungan tidak ditemukan untuk klien ini.")
                    )
                ]
            )
        task.status, task.completed_at, task.completed_by_visit = TaskStatus.DONE, timezone.now(), visit_id
        if note:
            task.note = note
        _touch(task, "status", "completed_at", "completed_by_visit", "note")
        return task


def tasks_complete_for_visit(*, visit: Any) -> list[Task]:
    """Complete the open tasks a logged visit fulfils (see the module docstring). Call inside the visit's
    transaction; returns the tasks completed."""
    tasks = list(
        Task.objects.select_for_update()
        .filter(
            client_id=visit.client_id,
            assignee_id=visit.logged_by_id,
            status=TaskStatus.OPEN,
            kind__in=kinds_completed_by(visit.type),
            created_at__lte=visit.occurred_at,
        )
        .order_by("due_on")
    )
    for task in tasks:
        task.status, task.completed_at, task.completed_by_visit = TaskStatus.DONE, timezone.now(), visit.id
        _touch(task, "status", "completed_at", "completed_by_visit")
    return tasks
