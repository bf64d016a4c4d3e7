"""Django admin (Bahasa Indonesia) for regions and facilities.

System admins (and superusers) see and edit everything. Any other staff user, e.g. a BNN coordinator given
admin access, sees only the regions and facilities inside the areas of their role assignments, and can only
place a facility in a village of those areas (backend/accounts/scope.py reads the areas).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from backend.accounts.scope import Scope, region_code_q, scope_for
from villages.models import Facility, Region, RegionLevel


def _scope(request: HttpRequest) -> Scope | None:
    """None when the user sees everything; otherwise their scope (areas and villages they cover)."""
    user = request.user
    if user.is_superuser:  # type: ignore[union-attr]
        return None
    scope = scope_for(user)  # type: ignore[arg-type]
    return None if scope.is_system_admin else scope


def _scoped(qs: QuerySet[Any], request: HttpRequest, field: str) -> QuerySet[Any]:
    scope = _scope(request)
    if scope is None:
        return qs
    return qs.filter(region_code_q(field, scope.area_codes | scope.village_codes))


class ProvinceFilter(admin.SimpleListFilter):
    title = _("provinsi")
    parameter_name = "provinsi"
    code_field = "code"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        provinces = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("name")
        return [(p.code, p.name) for p in provinces]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        code = self.value()
        if not code:
            return queryset
        return queryset.filter(
            Q(**{self.code_field: code}) | Q(**{f"{self.code_field}__startswith": code + "."})
        )


class FacilityProvinceFilter(ProvinceFilter):
    code_field = "village__code"


@admin.register(Region)
class RegionAdmin(GISModelAdmin):
    list_display = ("code", "name", "level", "parent", "timezone", "postal_code")
    list_filter = ("level", "timezone", ProvinceFilter)
    search_fields = ("^code", "name")
    list_select_related = ("parent",)
    ordering = ("code",)
    autocomplete_fields = ("parent",)
    show_full_result_count = False  # a count of 90,000 regions on every search is wasted work
    fieldsets = (
        (None, {"fields": ("code", "level", "name", "parent")}),
        (_("Lokasi"), {"fields": ("timezone", "postal_code", "point", "boundary")}),
        (
            _("Pengaturan rujukan (kosong = ikut wilayah induk)"),
            {
                "fields": (
                    "routing_max_radius_km",
                    "routing_max_travel_minutes",
                    "sla_routine_hours",
                    "sla_urgent_hours",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Region | None = None) -> tuple[str, ...]:
        return ("code",) if obj else ()  # the code is the key other rows point at

    def get_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        return _scoped(super().get_queryset(request), request, "code")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Region], search_term: str
    ) -> tuple[QuerySet[Region], bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The facility form's village picker offers villages only.
        if request.GET.get("model_name") == "facility" and request.GET.get("field_name") == "village":
            queryset = queryset.filter(level=RegionLevel.VILLAGE)
        return queryset, may_have_duplicates


class FacilityForm(forms.ModelForm):
    scope: Scope | None = None

    class Meta:
        model = Facility
        fields = [
            "code",
            "name",
            "type",
            "is_ipwl",
            "active",
            "village",
            "address",
            "phone",
            "location",
            "inpatient_beds",
            "outpatient_capacity_per_month",
            "ipwl_decree_number",
            "ipwl_valid_from",
            "ipwl_valid_until",
            "working_area",
        ]

    def clean_village(self) -> Region:
        village: Region = self.cleaned_data["village"]
        if village.level != RegionLevel.VILLAGE:
            raise forms.ValidationError(_("Pilih desa/kelurahan, bukan wilayah yang lebih besar."))
        if self.scope is not None and not self.scope.covers_region(village.code):
            raise forms.ValidationError(_("Desa/kelurahan ini di luar wilayah Anda."))
        return village


@admin.register(Facility)
class FacilityAdmin(GISModelAdmin):
    form = FacilityForm
    list_display = ("code", "name", "type", "is_ipwl", "village", "active")
    list_filter = ("type", "is_ipwl", "active", FacilityProvinceFilter)
    search_fields = ("^code", "name", "village__name", "address")
    list_select_related = ("village",)
    ordering = ("name",)
    autocomplete_fields = ("village",)
    fieldsets = (
        (None, {"fields": ("code", "name", "type", "is_ipwl", "active")}),
        (
            _("IPWL dan wilayah kerja"),
            {"fields": ("ipwl_decree_number", "ipwl_valid_from", "ipwl_valid_until", "working_area")},
        ),
        (_("Lokasi dan kontak"), {"fields": ("village", "address", "phone", "location")}),
        (_("Kapasitas"), {"fields": ("inpatient_beds", "outpatient_capacity_per_month")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Facility]:
        return _scoped(super().get_queryset(request), request, "village__code")

    def get_form(
        self, request: HttpRequest, obj: Facility | None = None, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, **kwargs)
        form.scope = _scope(request)  # type: ignore[attr-defined]
        return form
