"""Reads of field tasks, from the caller's scope (access.task_qs_for). Overdue = open and due before today in
the client's time zone, computed here per zone in SQL."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import BooleanField, Case, QuerySet, Value, When
from django.utils import timezone

from backend.access import task_qs_for
from backend.accounts.models import User
from backend.tasks.models import Task
from villages.calendar import local_date
from villages.models import TimeZoneName


def overdue_expression(*, now: datetime) -> Case:
    """True for open tasks due before today in the client's time zone (one WHEN per Indonesian zone)."""
    whens = [
        When(
            status="open",
            client__village__timezone=tz,
            due_on__lt=local_date(instant=now, tz=tz),
            then=Value(True),
        )
        for tz in TimeZoneName.values
    ]
    return Case(*whens, default=Value(False), output_field=BooleanField())


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
