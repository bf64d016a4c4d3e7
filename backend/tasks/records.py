"""What the API and the sync feed show of a field task: one record, built here for both.

`task_records` turns a page of tasks into records in a constant number of queries; the API's handlers and the
sync feed both call it (`task_record` is it on one task). `household` groups the tasks of clients who share a
linked family member (households.py) among the tasks at hand: the caller's whole list for GET /tasks, the page
for the feed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import prefetch_related_objects
from django.utils import timezone

from backend.accounts.models import User
from backend.tasks.households import households_of
from backend.tasks.models import Task
from villages.calendar import is_overdue

_FIELDS = (
    "id kind client_id escalation_id assignee_id due_on status priority released_on completed_at"
    " completed_by_visit note version created_at updated_at"
).split()


def _record(task: Task, now: datetime, households: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        **{f: getattr(task, f) for f in _FIELDS},
        "kind_label": str(task.get_kind_display()),  # type: ignore[attr-defined]
        "client_code": task.client.code,
        "overdue": task.overdue  # type: ignore[attr-defined]
        if hasattr(task, "overdue")
        else is_overdue(due=task.due_on, status=task.status, now=now, tz=task.client.village.timezone),
        "household": households.get(task.client_id),
    }


def task_records(
    *, user: User | None, tasks: Sequence[Task], households: dict[uuid.UUID, str] | None = None
) -> dict[uuid.UUID, dict[str, Any]]:
    """The tasks with their kind's label, the client's code, `overdue` (annotated by the list, else computed
    in the client's time zone) and `household` (from `households`, client -> key, when the caller grouped a
    longer list; else among these tasks), by id. A task looks the same to everyone who may see it (the caller's
    scope chose the rows), so `user` changes nothing. At most three queries (the clients and their villages,
    when the rows came without them; the family links), whatever the number of tasks."""
    tasks = list(tasks)
    if any(not hasattr(t, "overdue") for t in tasks):
        prefetch_related_objects(tasks, "client__village")
    else:
        prefetch_related_objects(tasks, "client")
    if households is None:
        households = households_of({t.client_id for t in tasks})
    now = timezone.now()
    return {t.id: _record(t, now, households) for t in tasks}


def task_record(task: Task) -> dict[str, Any]:
    """One task's record (`task_records` on one row)."""
    return task_records(user=None, tasks=[task])[task.id]
