"""Admin views of devices and the push outbox: for support staff to see why a push did not arrive.

Read-mostly: inbox texts are what users were told and stay as they were; a failed push can be queued again.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import Device, Notification, PushState


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
