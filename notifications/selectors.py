"""Reads of the notifications app. A user's inbox is theirs alone: every read starts from
`notification_qs_for(user=...)`, so someone else's notification is simply not found (404)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from backend.access import notification_qs_for
from backend.accounts.models import User
from notifications.models import Device, Notification


def notification_list_for(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    """Newest first; `unread=True` only unread, `False` only read, None all."""
    qs = notification_qs_for(user=user)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs.order_by("-created_at", "-id")


def notification_unread_count(*, user: User) -> int:
    return notification_qs_for(user=user).filter(read_at__isnull=True).count()


def channel_status_for(*, user: User) -> dict[str, bool]:
    """How the user can be reached: `push` when a phone of theirs is registered, `whatsapp` / `sms` when they
    opted in to that channel (at their own number). One query (GET /me counts them)."""
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(has_device=Exists(Device.objects.filter(user=OuterRef("pk"))))
        .values("has_device", "channel_preference__whatsapp_opt_in", "channel_preference__sms_opt_in")
        .first()
    ) or {}
    return {
        "push": bool(row.get("has_device")),
        "whatsapp": bool(row.get("channel_preference__whatsapp_opt_in")),
        "sms": bool(row.get("channel_preference__sms_opt_in")),
    }
