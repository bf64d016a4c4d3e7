"""The access log in the Django admin: readable by those allowed to view it, never added, changed or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backend.audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "client_id", "endpoint")
    list_filter = ("endpoint",)
    search_fields = ("=client_id",)
    date_hierarchy = "at"
    list_select_related = ("user",)
    readonly_fields = ("user", "client_id", "endpoint", "at", "request_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
