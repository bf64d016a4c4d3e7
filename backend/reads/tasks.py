"""The caller's field tasks, from their scope (access.task_qs_for), and the in-scope check before a task is
changed (404 out of scope)."""

from __future__ import annotations

import uuid
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.access import task_qs_for
from backend.accounts.models import User
from backend.errors import NotFound
from backend.tasks.models import Task
from backend.tasks.selectors import overdue_expression


def task_require_in_scope(*, user: User, task_id: uuid.UUID) -> None:
    """404 `task_not_found` unless `user` may see the task: the check before backend.tasks.services changes it."""
    if not task_qs_for(user=user).filter(id=task_id).exists():
        raise NotFound(_("Tugas tidak ditemukan."), code="task_not_found")


def task_list(
    *, user: User, status: str | None = None, due_before: date | None = None, mine_only: bool = False
) -> QuerySet[Task]:
    """Tasks in scope, with `overdue`, soonest due first. `due_before` is inclusive (due on or before)."""
    qs = task_qs_for(user=user)
    if mine_only:
        qs = qs.filter(assignee_id=user.id)
    if status:
        qs = qs.filter(status=status)
    if due_before:
        qs = qs.filter(due_on__lte=due_before)
    return (
        qs.select_related("client")
        .annotate(overdue=overdue_expression(now=timezone.now()))
        .order_by("due_on", "created_at", "id")
    )
