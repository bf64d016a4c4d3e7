"""What the API and the sync feed show of a field task: one record, built here for both."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from backend.tasks.models import Task
from villages.calendar import is_overdue


def task_record(task: Task) -> dict[str, Any]:
    """The task with its kind's label, the client's code and `overdue` (annotated by the list, else computed)."""
    return {
        **{
            f: getattr(task, f)
            for f in (
                "id kind client_id escalation_id assignee_id due_on status completed_at completed_by_visit note"
                " version created_at updated_at"
            ).split()
        },
        "kind_label": str(task.get_kind_display()),  # type: ignore[attr-defined]
        "client_code": task.client.code,
        "overdue": task.overdue  # type: ignore[attr-defined]
        if hasattr(task, "overdue")
        else is_overdue(
            due=task.due_on, status=task.status, now=timezone.now(), tz=task.client.village.timezone
        ),
    }
