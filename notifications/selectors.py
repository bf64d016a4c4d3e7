"""Reads of the notifications app that need no scope: how a user can be reached. The inbox (from the caller's
scope) is backend/reads/notifications.py."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from backend.accounts.models import User
from notifications.models import Device


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
