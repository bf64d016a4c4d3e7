"""The daily digest: one message a morning, in each person's own time zone, about their open tasks due today or
overdue, instead of a reminder per task.

Beat runs `tasks_digest` hourly. A person's zone is that of the area or facility of their first active role
(WIB when they have none). From TASKS_DIGEST_LOCAL_HOUR to TASKS_DIGEST_LAST_LOCAL_HOUR of their day, everyone
holding an open task due on or before their local date gets one inbox entry (and so one push) `task_digest`
with the counts only, and, with no working push token (no registered device), the neutral WhatsApp/SMS digest
of notifications.services.digest_send on the channel they opted in to. Once per person per local day: the inbox
entry's key `task_digest:<date>` (and the channel message's) is unique, so a rerun, an hourly overlap or a
retried worker sends nothing twice; a morning missed entirely is not made up at night. Queued tasks (held back by
the daily cap) are not the person's yet and are not counted.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from backend.accounts.models import RoleAssignment, User
from backend.tasks.models import Task, TaskStatus
from notifications.models import Notification
from notifications.services import digest_send, notify
from villages.models import TimeZoneName

logger = logging.getLogger(__name__)
KIND = "task_digest"


def user_zone(user_ref: str) -> Coalesce:
    """The time zone of the user `user_ref` points at: their first active role's area, else facility, else WIB."""
    roles = RoleAssignment.objects.filter(user_id=OuterRef(user_ref), active=True).order_by(
        "created_at", "id"
    )
    return Coalesce(
        Subquery(roles.filter(region__isnull=False).values("region__timezone")[:1]),
        Subquery(roles.filter(facility__isnull=False).values("facility__village__timezone")[:1]),
        Value(settings.TIME_ZONE),
    )


def digest_key(day: date) -> str:
    return f"{KIND}:{day.isoformat()}"


def digests_due(*, tz: str, today: date) -> list[tuple[User, int, int]]:
    """(user, overdue, due today) of the active users in zone `tz` holding open tasks due on or before `today`
    who have no digest for `today` yet. One query for the counts, one for the users."""
    made = Notification.objects.filter(recipient_id=OuterRef("assignee_id"), event_key=digest_key(today))
    rows = (
        Task.objects.filter(status=TaskStatus.OPEN, due_on__lte=today, assignee__is_active=True)
        .annotate(zone=user_zone("assignee_id"))
        .filter(zone=tz)
        .exclude(Exists(made))
        .values("assignee_id")
        .annotate(
            overdue=Count("id", filter=Q(due_on__lt=today)), due_today=Count("id", filter=Q(due_on=today))
        )
        .values_list("assignee_id", "overdue", "due_today")
    )
    counts = {assignee: (overdue, due) for assignee, overdue, due in rows}
    users = User.objects.in_bulk(list(counts))
    return [(users[i], *counts[i]) for i in sorted(counts, key=str)]


def tasks_digest(*, now: datetime | None = None) -> Counter[str]:
    """Make the digests due now in every zone whose local hour is in the digest window (see the docstring)."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    for tz in TimeZoneName.values:
        local = now.astimezone(ZoneInfo(tz))
        if not settings.TASKS_DIGEST_LOCAL_HOUR <= local.hour <= settings.TASKS_DIGEST_LAST_LOCAL_HOUR:
            continue
        for user, overdue, due_today in digests_due(tz=tz, today=local.date()):
            with transaction.atomic():  # one person's digest at a time: a failure leaves the others standing
                row = notify(
                    recipient=user,
                    kind=KIND,
                    event_key=digest_key(local.date()),
                    params={"overdue": overdue, "due_today": due_today},
                    data={"screen": "tasks"},
                )
                if row is None:
                    continue
                counts["digests"] += 1
                if digest_send(user, day=local.date()) is not None:
                    counts["second_channel"] += 1
    return counts
