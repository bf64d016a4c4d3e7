"""The caller's field tasks, from their scope (access.task_qs_for), and the in-scope check before a task is
changed (404 out of scope).

The list's order (GET /tasks): open tasks, then queued ones (held back by the daily cap), then done and
cancelled; within each, the highest priority first, then the soonest due, then the oldest. Tasks of one
household (clients sharing a linked family member: backend/tasks/households.py) come together: among the open
and queued tasks, each household's tasks follow its first one, so a volunteer sees one house's work at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, F, IntegerField, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.access.policy import task_qs_for
from backend.accounts.models import User
from backend.common.errors import NotFound
from backend.tasks.households import households_of
from backend.tasks.models import Task, TaskStatus
from backend.tasks.records import task_records
from backend.tasks.rules import PENDING
from backend.tasks.selectors import overdue_expression

ORDER = ("status_rank", "-priority", "due_on", "created_at", "id")


def task_require_in_scope(*, user: User, task_id: uuid.UUID) -> None:
    """404 `task_not_found` unless `user` may see the task: the check before backend.tasks.services changes it."""
    if not task_qs_for(user=user).filter(id=task_id).exists():
        raise NotFound(_("Tugas tidak ditemukan."), code="task_not_found")


def task_list(
    *, user: User, status: str | None = None, due_before: date | None = None, mine_only: bool = False
) -> QuerySet[Task]:
    """Tasks in scope, in the list's order without the household grouping (module docstring).
    `due_before` is inclusive (due on or before)."""
    qs = task_qs_for(user=user)
    if mine_only:
        qs = qs.filter(assignee_id=user.id)
    if status:
        qs = qs.filter(status=status)
    if due_before:
        qs = qs.filter(due_on__lte=due_before)
    rank = Case(
        When(status=TaskStatus.OPEN, then=Value(0)),
        When(status=TaskStatus.QUEUED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    # Ids and order only (no join): task_page reads the page's rows, with their clients and `overdue`, by id.
    return qs.annotate(status_rank=rank).order_by(*ORDER)


def grouped(rows: list[tuple[uuid.UUID, uuid.UUID]], households: dict[uuid.UUID, str]) -> list[uuid.UUID]:
    """Task ids (rows of (task id, client id), in list order) reordered so each household's tasks follow the
    first of them; the rest keep their places (pure)."""
    by_household: dict[str, list[uuid.UUID]] = {}
    for task_id, client_id in rows:
        if client_id in households:
            by_household.setdefault(households[client_id], []).append(task_id)
    ordered: list[uuid.UUID] = []
    placed: set[str] = set()
    for task_id, client_id in rows:
        key = households.get(client_id)
        if key is None:
            ordered.append(task_id)
        elif key not in placed:
            placed.add(key)
            ordered += by_household[key]
    return ordered


@dataclass(frozen=True)
class TaskPage:
    items: list[dict[str, Any]]
    count: int


def task_page(*, user: User, qs: QuerySet[Task], offset: int, limit: int) -> TaskPage:
    """A page of `qs` (task_list) as records, households grouped over all the open and queued tasks of the list
    (a worker's open tasks are few: the daily cap sees to it), the done and cancelled ones paged in SQL after
    them. Queries: the open ids, the family links, the count of the rest, the page, its clients' villages."""
    pending_rows, closed_count = _pending_and_closed_count(qs)
    households = households_of({client_id for _id, client_id in pending_rows})
    pending = grouped(pending_rows, households)
    closed = qs.exclude(status__in=PENDING)
    ids = pending[offset : offset + limit]
    rest_offset = max(offset - len(pending), 0)
    rest = list(closed.values_list("id", flat=True)[rest_offset : rest_offset + limit - len(ids)])
    wanted = ids + rest
    # The ids came from the scoped list: the rows are read by id alone (reads/paging.py says why).
    rows = {
        t.id: t
        for t in Task.objects.filter(id__in=wanted)
        .select_related("client")
        .annotate(overdue=overdue_expression(now=timezone.now()))
    }
    tasks = [rows[i] for i in wanted if i in rows]
    on_page = set(ids)
    closed_households = households_of({t.client_id for t in tasks if t.id not in on_page})
    records = task_records(user=user, tasks=tasks, households={**closed_households, **households})
    return TaskPage(items=[records[t.id] for t in tasks], count=len(pending) + closed_count)


# The list's open and queued tasks (in its order) and the count of the rest, in one statement over the scope
# (the CTE is evaluated once): two statements evaluated it twice, ~300 ms each for a province coordinator.
PENDING_AND_CLOSED_COUNT = """
    WITH listed (id, client_id, status, position) AS ({listed})
    SELECT id, client_id, position FROM listed WHERE status = ANY(%s)
    UNION ALL
    SELECT NULL, NULL, count(*) FROM listed WHERE NOT status = ANY(%s)
"""


def _pending_and_closed_count(qs: QuerySet[Task]) -> tuple[list[tuple[uuid.UUID, uuid.UUID]], int]:
    """([(task id, client id)] of the open and queued tasks of `qs` in its order, count of the others)."""
    position = Window(RowNumber(), order_by=[F(f[1:]).desc() if f[0] == "-" else F(f).asc() for f in ORDER])
    listed = qs.order_by().annotate(position=position).values_list("id", "client_id", "status", "position")
    try:
        sql, params = listed.query.sql_with_params()
    except EmptyResultSet:  # a scope that holds nothing (no active role): no statement at all
        return [], 0
    with connection.cursor() as cursor:
        cursor.execute(PENDING_AND_CLOSED_COUNT.format(listed=sql), (*params, list(PENDING), list(PENDING)))
        rows = cursor.fetchall()
    pending = sorted((row for row in rows if row[0] is not None), key=lambda row: row[2])
    closed_count = next(row[2] for row in rows if row[0] is None)
    return [(task_id, client_id) for task_id, client_id, _position in pending], closed_count
