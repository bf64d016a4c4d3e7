"""What a phone holds, per entity type: the rows of the caller's set (scoped by backend.access, bounded as
backend/mobile/sets.py says), the narrower slice a first sync sends, and each row's record, built by the domain's
records function exactly as the API shows it to the same user."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from backend.access.policy import escalation_qs_for, notification_qs_for, with_case_view
from backend.accounts.models import User
from backend.escalations.models import ACTIVE_STATUSES, Escalation
from backend.mobile.sets import (
    active_clients,
    contact_attempts_in_set,
    full_active_client_ids,
    visits_in_set,
    window_start,
)
from backend.reads.clients import client_records, family_member_records
from backend.reads.escalation_records import escalation_records
from backend.recovery.models import ClientFamilyLink, FamilyMember, Visit
from backend.recovery.records import contact_attempt_records, visit_records
from backend.tasks.models import Task, TaskStatus
from backend.tasks.records import task_records
from backend.tasks.selectors import overdue_expression
from notifications.records import notification_records


@dataclass(frozen=True)
class Entity:
    name: str
    # Every row of this type in the caller's set (log phase: "is it still there?").
    visible: Callable[[User, datetime], QuerySet]
    # The narrower slice a first sync sends (e.g. only open tasks); None = the same as `visible`.
    snapshot: Callable[[User, datetime], QuerySet] | None
    # The records of a queryset's rows, by id in its order: the domain's records function (a constant number of
    # queries whatever the page size).
    records: Callable[[User, QuerySet], dict[uuid.UUID, Any]]


def _members_visible(user: User, now: datetime) -> QuerySet[FamilyMember]:
    """Members actively linked to a client of the set whose full record the caller sees."""
    return FamilyMember.objects.filter(
        id__in=ClientFamilyLink.objects.filter(
            client_id__in=full_active_client_ids(user), unlinked_at__isnull=True
        ).values("member_id")
    )


def _members_records(user: User, qs: QuerySet) -> dict[uuid.UUID, Any]:
    # Seen through the set's clients: `client_ids` names only clients the phone holds.
    return family_member_records(user=user, members=list(qs), through=full_active_client_ids(user))


def _visits_records(user: User, qs: QuerySet) -> dict[uuid.UUID, Any]:
    """A page of visits: the page's ids first (keyset, cheap to sort), then the records of those rows only.
    Built over the whole slice, the record (json_build_object on a join) was evaluated for every visit of the
    remaining set and sorted afterwards, so a page cost grew with the set, not with the page."""
    if qs.query.is_sliced:
        qs = Visit.objects.filter(id__in=qs.values("id")).order_by(*qs.query.order_by)
    return visit_records(user=user, visits=qs)


def _tasks_visible(user: User, now: datetime) -> QuerySet[Task]:
    """The caller's own tasks, of clients still in their set: a volunteer unassigned from a client (or whose
    village role ended) stops receiving that client's tasks, as the tasks API does. `overdue` computed in SQL,
    as the task list does."""
    return (
        Task.objects.filter(assignee_id=user.id, client_id__in=active_clients(user).values("id"))
        .select_related("client")
        .annotate(overdue=overdue_expression(now=now))
    )


def _escalations_visible(user: User, now: datetime) -> QuerySet[Escalation]:
    """The escalations app's own scope (escalation_qs_for), of the active clients in the caller's set: the
    client being in scope is not enough (staff offered one case of a client see none of its other cases).
    Annotated `full_view` (access.case_visible_q): the record shows the course of the case, or empties it."""
    qs = escalation_qs_for(user=user).filter(client_id__in=active_clients(user).values("id"))
    return with_case_view(qs, user=user).select_related("client", "assigned_to", "facility")


ENTITIES: list[Entity] = [
    Entity(
        "client",
        lambda u, now: active_clients(u),
        None,
        lambda u, qs: client_records(user=u, clients=list(qs)),
    ),
    Entity("family_member", _members_visible, None, _members_records),
    Entity("visit", visits_in_set, None, _visits_records),
    Entity(
        "contact_attempt",
        contact_attempts_in_set,
        None,
        lambda u, qs: contact_attempt_records(attempts=qs),
    ),
    Entity(
        "task",
        _tasks_visible,
        lambda u, now: _tasks_visible(u, now).filter(status=TaskStatus.OPEN),
        lambda u, qs: task_records(user=u, tasks=list(qs)),
    ),
    Entity(
        "escalation",
        _escalations_visible,
        lambda u, now: _escalations_visible(u, now).filter(status__in=ACTIVE_STATUSES),
        lambda u, qs: escalation_records(user=u, escs=list(qs)),
    ),
    Entity(
        "notification",
        lambda u, now: notification_qs_for(user=u),
        lambda u, now: notification_qs_for(user=u).filter(created_at__gte=window_start(now)),
        lambda u, qs: notification_records(user=u, notifications=list(qs)),
    ),
]
BY_NAME = {e.name: e for e in ENTITIES}
