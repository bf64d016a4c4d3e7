"""Admin views of devices, the push outbox and the second channel: for support staff to see why a push, a
WhatsApp or an SMS did not arrive.

Read-mostly: inbox texts are what users were told and stay as they were; a failed push can be queued again.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import ChannelMessage, ChannelPreference, Device, Notification, PushState


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "platform", "app_version", "last_seen_at", "created_at")
    list_filter = ("platform",)
    search_fields = ("user__name", "user__phone")
    readonly_fields = ("id", "user", "token", "platform", "app_version", "created_at", "last_seen_at")
    raw_id_fields = ("user",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "created_at", "push_state", "push_attempts", "push_last_error")
    list_filter = ("push_state", "kind")
    search_fields = ("recipient__name", "recipient__phone", "event_key")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["push_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # notifications come from events (notifications.services.notify), never by hand

    @admin.action(description=_("Kirim ulang push yang gagal"))
    def push_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        # Back to the outbox; the next sweep publishes them. Sent rows are left alone (never pushed twice).
        count = queryset.filter(push_state=PushState.FAILED).update(
            push_state=PushState.PENDING, push_attempts=0, push_next_attempt_at=timezone.now()
        )
        self.message_user(request, _("%(count)d notifikasi masuk antrean kirim ulang.") % {"count": count})


class _ReadOnly(admin.ModelAdmin):
    """Seen, never edited here: opt-ins are the person's own choice (PATCH /me/channels), and a message's
    record is what happened to it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(_ReadOnly):
    list_display = ("user", "whatsapp_opt_in", "sms_opt_in", "updated_at")
    list_filter = ("whatsapp_opt_in", "sms_opt_in")
    search_fields = ("user__name", "user__phone")
    readonly_fields = [f.name for f in ChannelPreference._meta.fields]


@admin.register(ChannelMessage)
class ChannelMessageAdmin(_ReadOnly):
    list_display = (
        "recipient",
        "channel",
        "kind",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    )
    list_filter = ("channel", "kind", "state")
    search_fields = ("recipient__name", "recipient__phone", "event_key", "provider_message_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ChannelMessage._meta.fields]
