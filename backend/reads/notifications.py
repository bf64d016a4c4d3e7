"""A user's inbox is theirs alone: every read starts from `notification_qs_for(user=...)`, so someone else's
notification is simply not found (404)."""

from __future__ import annotations

from django.db.models import QuerySet

from backend.access.policy import notification_qs_for
from backend.accounts.models import User
from notifications.models import Notification


def notification_list_for(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    """Newest first; `unread=True` only unread, `False` only read, None all."""
    qs = notification_qs_for(user=user)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs.order_by("-created_at", "-id")


def notification_unread_count(*, user: User) -> int:
    return notification_qs_for(user=user).filter(read_at__isnull=True).count()
