"""A phone's offline set, defined once: what the feed sends (backend/mobile/feed/) and what the oversize report
counts (`sync_sets_report_oversize`, run by Celery beat: backend/mobile/tasks.py).

The set is bounded: active clients in the caller's scope (closed ones, `lifecycle.CLOSED`, are not in it, nor
clients who withdrew data-collection consent, whom even their area's coordinators read through the API only), and
the visits of the last `VISIT_WINDOW_DAYS` days of those whose full record the caller sees. The feed adds what
hangs on them (family members, tasks, escalations) and the caller's notifications.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from backend.access.policy import client_qs_with_access_for
from backend.accounts.models import Role, User
from backend.audit.models import AccessLog
from backend.recovery.lifecycle import CLOSED
from backend.recovery.models import Client, ContactAttempt, Visit
from backend.sync.models import SyncSetReport
from notifications.services import notify

logger = logging.getLogger(__name__)

VISIT_WINDOW_DAYS: int = settings.SYNC_VISIT_WINDOW_DAYS
# What the access log names the feed's reads (GET /sync/changes): who synced lately is read from it.
FEED_ENDPOINT = "sync_changes"


def active_clients(user: User) -> QuerySet[Client]:
    """The clients of the caller's set, annotated `full_access` (backend.access)."""
    return (
        client_qs_with_access_for(user=user)
        .exclude(status__in=CLOSED)
        .filter(consent_withdrawn_at__isnull=True)
    )


def full_active_client_ids(user: User) -> QuerySet:
    """The ids of the set's clients whose full record the caller sees: what hangs on a client follows these."""
    return active_clients(user).filter(full_access=True).values("id")


def window_start(now: datetime) -> datetime:
    return now - timedelta(days=VISIT_WINDOW_DAYS)


def visits_in_set(user: User, now: datetime) -> QuerySet[Visit]:
    return Visit.objects.filter(
        client_id__in=full_active_client_ids(user), occurred_at__gte=window_start(now)
    )


def contact_attempts_in_set(user: User, now: datetime) -> QuerySet[ContactAttempt]:
    """Contact attempts of the visit window, for the set's clients whose full record the caller sees. Unlike a
    visit, an attempt that ages out of the window gets no `leave`: the phone drops attempts older than
    `visit_window_days` itself (they never change), and all of a client's with the client."""
    return ContactAttempt.objects.filter(
        client_id__in=full_active_client_ids(user), occurred_at__gte=window_start(now)
    )


def set_size(user: User, now: datetime) -> int:
    """Active clients and visits of the window: the rows a first sync sends most of."""
    return active_clients(user).count() + visits_in_set(user, now).count()


def sync_sets_report_oversize(*, now: datetime) -> int:
    """Every user who synced in the last day (an AccessLog row of the feed) and whose set passes
    SYNC_MAX_SET_SIZE: logged, recorded in SyncSetReport and told to the system admins, once per user and day
    (the feed still serves them). Returns how many were reported now."""
    limit = settings.SYNC_MAX_SET_SIZE
    today = now.date()
    reported = SyncSetReport.objects.filter(day=today).values("user_id")
    synced = (
        AccessLog.objects.filter(endpoint=FEED_ENDPOINT, at__gte=now - timedelta(days=1))
        .exclude(user_id__in=reported)
        .values("user_id")
        .distinct()
    )
    count = 0
    for user in User.objects.filter(id__in=synced, is_active=True).order_by("id"):
        size = set_size(user, now)
        if size <= limit:
            continue
        logger.warning("sync set of user %s is %d rows (limit %d)", user.id, size, limit)
        try:
            with transaction.atomic():
                SyncSetReport.objects.create(user=user, day=today, set_size=size, limit=limit, at=now)
                _notify_admins(user, size, limit, now)
            count += 1
        except IntegrityError:
            pass  # already reported today (another run got there first)
    return count


def _notify_admins(user: User, size: int, limit: int, now: datetime) -> None:
    """Tell the system admins (once per user and day: the event key)."""
    admins = User.objects.filter(is_active=True, roles__role=Role.SYSTEM_ADMIN, roles__active=True).distinct()
    for admin in admins:
        notify(
            recipient=admin,
            kind="sync_set_oversize",
            event_key=f"sync_set_oversize:{user.id}:{now.date().isoformat()}",
            params={"user_name": user.name, "set_size": size, "limit": limit},
            data={"user_id": str(user.id)},
        )
