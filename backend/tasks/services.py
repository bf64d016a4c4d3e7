"""Writes of field tasks by people: the assignee completes a task."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import Conflict, ErrorDetail, NotFound, PermissionDenied, ValidationFailed
from backend.recovery.models import Visit
from backend.tasks.models import Task, TaskStatus
from backend.tasks.records import task_record
from backend.tasks.rules import task_save


def task_complete(
    *,
    task_id: uuid.UUID,
    actor: User,
    visit_id: uuid.UUID | None = None,
    note: str = "",
    version: int | None = None,
) -> Task:
    """The assignee marks a task done (again: no change). The caller checked that `actor` may see the task
    (backend/reads/tasks.py `task_require_in_scope`: 404 out of scope); someone else's: 403. An open task whose
    `version` (when sent) is not the one the phone read: 409 `stale_version` with the current task."""
    with transaction.atomic():
        task = Task.objects.select_for_update().filter(id=task_id).first()
        if task is None:
            raise NotFound(_("Tugas tidak ditemukan."), code="task_not_found")
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
        task_save(task, "status", "completed_at", "completed_by_visit", "note")
        return task
