"""Admin of the per-area task knobs and the post-rehab quotas (system admins; the regions' own admin is in
backend/accounts/admin)."""

from __future__ import annotations

from django.contrib import admin

from backend.tasks.models import AreaTaskSettings, PostRehabQuota


@admin.register(AreaTaskSettings)
class AreaTaskSettingsAdmin(admin.ModelAdmin):
    list_display = ("region", "daily_followup_cap", "post_rehab_visit_days")
    search_fields = ("region__code", "region__name")
    autocomplete_fields = ("region",)


@admin.register(PostRehabQuota)
class PostRehabQuotaAdmin(admin.ModelAdmin):
    list_display = ("region", "year", "places")
    list_filter = ("year",)
    search_fields = ("region__code", "region__name")
    autocomplete_fields = ("region",)
