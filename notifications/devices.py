"""The phones of a user: FCM tokens registered, refreshed, forgotten, and pruned when dead or stale."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.common.errors import NotFound
from notifications.models import Device

# One user rarely has more phones than this; older tokens beyond it are dropped so a buggy app that registers
# a fresh token on every start cannot make each push fan out to hundreds of dead tokens.
MAX_DEVICES_PER_USER = 10


def device_register(*, user: User, token: str, platform: str, app_version: str) -> tuple[Device, bool]:
    """Register or refresh an FCM token; a token seen under another user moves to this one.

    One statement (INSERT ... ON CONFLICT (token) DO UPDATE) so two concurrent registrations of a token
    cannot collide. Returns (device, created).
    """
    now = timezone.now()
    candidate = Device(
        user=user, token=token, platform=platform, app_version=app_version, created_at=now, last_seen_at=now
    )
    with transaction.atomic():
        Device.objects.bulk_create(
            [candidate],
            update_conflicts=True,
            unique_fields=["token"],
            update_fields=["user", "platform", "app_version", "last_seen_at"],
        )
        device = Device.objects.get(token=token)
        created = device.id == candidate.id  # an existing row kept its own id (and created_at)
        stale = Device.objects.filter(user=user).order_by("-last_seen_at").values_list("id", flat=True)
        Device.objects.filter(id__in=list(stale[MAX_DEVICES_PER_USER:])).delete()
    return device, created


def device_delete(*, user: User, token: str) -> None:
    """Forget one of the user's own tokens (sign-out). Someone else's token answers NotFound."""
    deleted, _ = Device.objects.filter(user=user, token=token).delete()
    if not deleted:
        raise NotFound()


def devices_prune_stale(*, unused_for: timedelta = timedelta(days=60)) -> int:
    """Delete tokens the app has not refreshed for `unused_for` (FCM deems such tokens stale too)."""
    deleted, _ = Device.objects.filter(last_seen_at__lt=timezone.now() - unused_for).delete()
    return deleted


def devices_delete_tokens(*, tokens: list[str]) -> int:
    """Delete tokens FCM called dead (UNREGISTERED, or not a valid token)."""
    if not tokens:
        return 0
    deleted, _ = Device.objects.filter(token__in=tokens).delete()
    return deleted
