"""Provisioning in the Django admin (Bahasa Indonesia): users with their role assignments and certificates.

Who may do what here:
- A system admin (superuser, or an active `system_admin` role) sees and edits every user.
- A BNN coordinator (a staff user with an active `coordinator` role) sees and edits only users who have a role
  assignment inside one of their areas: a region whose code lies in the area, or a facility whose village
  does. They can only assign regions and facilities inside their areas, cannot grant the system-admin role
  or superuser rights, and see only the in-area assignments of a user (the rest stay untouched).
- Editing a user is taking them over (their phone is their sign-in, the admin resets passwords), so a
  coordinator never reaches a superuser, a system admin, or another coordinator of their area or a wider one
  (404), even one who also serves in a village of theirs; and for a user who also serves outside their area
  they can change the in-area roles and the name, but not the phone, the password or the active/staff flags.
- Nobody else gets in. Deleting users is for system admins only; coordinators deactivate.
Areas nest by Kemendagri code prefix (backend/accounts/scope.py).
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from backend.accounts.imports import ImportResult, users_import_csv
from backend.accounts.models import (
    AREA_ROLES,
    VILLAGE_ROLES,
    Certification,
    Role,
    RoleAssignment,
    User,
)
from backend.accounts.phones import normalize_phone
from backend.accounts.scope import region_code_q, scope_for
from backend.common.errors import ValidationFailed
from villages.models import Facility, Region, RegionLevel

ALL = None  # the "area" of a system admin: everything


def admin_area_codes(request: HttpRequest) -> frozenset[str] | None:
    """None for a system admin (sees all); else the coordinator's area codes (empty: sees nothing)."""
    user = request.user
    if not user.is_active or not user.is_staff:  # type: ignore[union-attr]
        return frozenset()
    if user.is_superuser:  # type: ignore[union-attr]
        return ALL
    scope = scope_for(user)  # type: ignore[arg-type]
    return ALL if scope.is_system_admin else scope.area_codes


def _in_area(code: str, areas: frozenset[str]) -> bool:
    return any(code == a or code.startswith(a + ".") for a in areas)


def users_in_area_q(areas: frozenset[str]) -> Q:
    """Users with a role assignment in one of the areas (by region, or by the facility's village)."""
    return region_code_q("roles__region__code", areas) | region_code_q(
        "roles__facility__village__code", areas
    )


def _area_and_above(areas: frozenset[str]) -> set[str]:
    """Every area code and the codes of the regions containing it: "62.06" gives {"62", "62.06"}."""
    parts = (code.split(".") for code in areas)
    return {".".join(p[:i]) for p in parts for i in range(1, len(p) + 1)}


def users_above_q(request: HttpRequest, areas: frozenset[str]) -> QuerySet[RoleAssignment]:
    """User ids a coordinator must never edit: system admins, and other coordinators of their area or wider.

    Editing a user is taking them over (their phone is their sign-in, the admin can reset their password), so a
    regency coordinator must not reach the province coordinator, a peer, or a system admin who also happens to
    volunteer in a village of the regency.
    """
    return (
        RoleAssignment.objects.filter(active=True)
        .filter(Q(role=Role.SYSTEM_ADMIN) | Q(role=Role.COORDINATOR, region_id__in=_area_and_above(areas)))
        .exclude(user_id=request.user.pk)
        .values("user_id")
    )


def _serves_outside(request: HttpRequest, user: User) -> bool:
    """True if a coordinator looks at a user with an active role outside the coordinator's area (not themselves)."""
    areas = admin_area_codes(request)
    if areas is ALL or user.pk == request.user.pk:
        return False
    in_area = region_code_q("region__code", areas) | region_code_q("facility__village__code", areas)
    return RoleAssignment.objects.filter(user_id=user.pk, active=True).exclude(in_area).exists()


class _ProvisioningPermissions:
    """System admins and coordinators may view, add and change; only system admins may delete."""

    def _allowed(self, request: HttpRequest) -> bool:
        areas = admin_area_codes(request)
        return areas is ALL or bool(areas)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_area_codes(request) is ALL


# --- forms -------------------------------------------------------------------------------------------------


class PhoneFieldMixin:
    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "")  # type: ignore[attr-defined]
        try:
            return normalize_phone(raw)
        except ValidationFailed as exc:
            raise forms.ValidationError(str(exc.message), code="invalid_phone") from exc


class PulihUserCreationForm(PhoneFieldMixin, AdminUserCreationForm):
    """A new user; by default without a usable password (they sign in with Firebase phone auth)."""

    class Meta:
        model = User
        fields = ("phone", "name", "language")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["usable_password"].initial = "false"


class PulihUserChangeForm(PhoneFieldMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class RoleAssignmentForm(forms.ModelForm):
    """Checks that the place fits the role and, for a coordinator, lies inside their area."""

    areas: frozenset[str] | None = ALL

    class Meta:
        model = RoleAssignment
        fields = ("role", "region", "facility", "active")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        role, region, facility = data.get("role"), data.get("region"), data.get("facility")
        if role in VILLAGE_ROLES and region is not None and region.level != RegionLevel.VILLAGE:
            self.add_error("region", _("Peran ini mencakup satu desa/kelurahan."))
        if (
            role in AREA_ROLES
            and region is not None
            and region.level
            not in (
                RegionLevel.REGENCY,
                RegionLevel.PROVINCE,
            )
        ):
            self.add_error("region", _("Koordinator mencakup kabupaten/kota atau provinsi."))
        if self.areas is not ALL:
            if role == Role.SYSTEM_ADMIN:
                self.add_error("role", _("Hanya admin sistem yang dapat memberi peran admin sistem."))
            if region is not None and not _in_area(region.code, self.areas):
                self.add_error("region", _("Wilayah ini di luar wilayah Anda."))
            if facility is not None and not _in_area(facility.village_id, self.areas):
                self.add_error("facility", _("Fasilitas ini di luar wilayah Anda."))
        return data


class RoleAssignmentFormSet(forms.BaseInlineFormSet):
    areas: frozenset[str] | None = ALL

    def clean(self) -> None:
        super().clean()
        if self.areas is ALL:
            return
        kept = [
            f
            for f in self.forms
            if f.cleaned_data.get("role")
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("active")
        ]
        if not kept:
            # Without one, the user would drop out of the coordinator's sight the moment it is saved.
            raise forms.ValidationError(_("Beri pengguna ini setidaknya satu peran aktif di wilayah Anda."))


# --- inlines and the user admin --------------------------------------------------------------------------


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    form = RoleAssignmentForm
    formset = RoleAssignmentFormSet
    extra = 1
    fields = ("role", "region", "facility", "active")
    autocomplete_fields = ("region", "facility")
    verbose_name = _("peran")
    verbose_name_plural = _("peran dan wilayah tugas")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleAssignment]:
        qs = super().get_queryset(request).select_related("region", "facility")
        areas = admin_area_codes(request)
        if areas is ALL:
            return qs
        # A coordinator sees (and can change) only the assignments inside their area.
        return qs.filter(
            region_code_q("region__code", areas) | region_code_q("facility__village__code", areas)
        )

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.areas = formset.form.areas = admin_area_codes(request)
        return formset

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        areas = admin_area_codes(request)
        if areas is not ALL and db_field.name == "region":
            kwargs["queryset"] = Region.objects.filter(region_code_q("code", areas))
        if areas is not ALL and db_field.name == "facility":
            kwargs["queryset"] = Facility.objects.filter(region_code_q("village__code", areas))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and admin_area_codes(request) is not ALL:
            kwargs["choices"] = [(v, label) for v, label in Role.choices if v != Role.SYSTEM_ADMIN]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _ProvisioningPermissions()._allowed(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission  # type: ignore[assignment]


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0
    fields = ("kind", "number", "issuer", "issued_on", "expires_on", "revoked")
    verbose_name = _("sertifikat")
    verbose_name_plural = _("sertifikat konselor/asesor")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _ProvisioningPermissions()._allowed(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission  # type: ignore[assignment]


class RoleFilter(admin.SimpleListFilter):
    title = _("peran")
    parameter_name = "peran"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        value = self.value()
        return queryset.filter(roles__role=value, roles__active=True).distinct() if value else queryset


@admin.register(User)
class UserAdmin(_ProvisioningPermissions, DjangoUserAdmin):
    form = PulihUserChangeForm
    add_form = PulihUserCreationForm
    inlines = (RoleAssignmentInline, CertificationInline)
    list_display = ("name", "phone", "role_summary", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", RoleFilter)
    search_fields = ("name", "phone")
    ordering = ("name",)
    readonly_fields = ("created_at", "last_login")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("Data pengguna"), {"fields": ("name", "language")}),
        (_("Ketersediaan untuk rujukan"), {"fields": ("on_leave_from", "on_leave_until", "caseload_cap")}),
        (_("Akses"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Waktu"), {"fields": ("created_at", "last_login")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("phone", "name", "language")}),
        (
            _("Kata sandi (kosongkan untuk masuk dengan verifikasi nomor HP)"),
            {"classes": ("wide",), "fields": ("usable_password", "password1", "password2")},
        ),
    )

    @admin.display(description=_("peran"))
    def role_summary(self, obj: User) -> str:
        return ", ".join(
            f"{r.get_role_display()} {r.region_id or (r.facility.name if r.facility_id else '')}".strip()
            for r in obj.roles.all()
            if r.active
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        qs = super().get_queryset(request).prefetch_related("roles__facility")
        areas = admin_area_codes(request)
        if areas is ALL:
            return qs
        if not areas:
            return qs.none()
        # Distinct through a subquery, so the changelist can still order and count plainly.
        in_area = User.objects.filter(users_in_area_q(areas), is_superuser=False).values("pk")
        return qs.filter(pk__in=in_area).exclude(pk__in=users_above_q(request, areas))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and _serves_outside(request, obj):
            # Their phone is their sign-in (Firebase): changing it would hand their other areas to this coordinator.
            fields += ("phone", "is_active", "is_staff")
        return fields

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # A password reset is a takeover: a coordinator resets only users who serve nowhere else.
        user = self.get_object(request, unquote(id))
        if user is None or _serves_outside(request, user):
            raise Http404(_("Pengguna tidak ditemukan."))
        return super().user_change_password(request, id, form_url)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or admin_area_codes(request) is ALL:
            return fieldsets
        # Coordinators cannot hand out superuser rights or Django permissions.
        hidden = {"is_superuser", "groups", "user_permissions"}
        return [
            (title, {**opts, "fields": tuple(f for f in opts["fields"] if f not in hidden)})
            for title, opts in fieldsets
        ]

    # --- CSV import (the same file as `manage.py import_users`), checked first, then applied ---------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("impor/", view, name="accounts_user_import"), *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload -> dry run showing the refused rows -> import exactly the file that was checked."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        areas = admin_area_codes(request)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Impor pengguna dari CSV"),
            "form": UserImportForm(),
            "areas": sorted(areas) if areas is not ALL else None,
        }
        if request.method == "POST" and "payload" in request.POST:
            text = _import_payload_read(request, request.POST["payload"])
            if text is None:
                result: ImportResult | str = str(_("Pemeriksaan sudah kedaluwarsa; unggah berkasnya lagi."))
            else:
                result = _run_import(text, areas=areas, dry_run=False)
            if isinstance(result, str):
                messages.error(request, result)
            else:
                context["result"] = result
                messages.success(request, _import_summary(result))
        elif request.method == "POST":
            form = context["form"] = UserImportForm(request.POST, request.FILES)
            if form.is_valid():
                text = form.cleaned_data["file"]
                result = _run_import(text, areas=areas, dry_run=True)
                if isinstance(result, str):
                    form.add_error("file", result)
                else:
                    context["result"] = result
                    if result.users_created or result.roles_added:
                        context["payload"] = signing.dumps(
                            {"user": str(request.user.pk), "csv": text}, salt=IMPORT_SALT, compress=True
                        )
        return TemplateResponse(request, "admin/accounts/user/import.html", context)


IMPORT_SALT = "pulih.admin.user-import"
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_PAYLOAD_MAX_AGE = 60 * 60  # a check is good for an hour


class UserImportForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas CSV"),
        help_text=_(
            "Kolom: nama, no_hp, peran, kode_wilayah, kode_fasilitas (dan boleh password). "
            "Berkas diperiksa dulu; belum ada yang disimpan."
        ),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("Berkas terlalu besar (paling banyak 2 MB)."), code="too_large")
        raw = upload.read()
        # Spreadsheets save UTF-8 (with a BOM) or, on older Windows Excel, cp1252.
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError(_("Berkas bukan teks CSV yang terbaca (simpan sebagai CSV UTF-8)."))


def _import_payload_read(request: HttpRequest, payload: str) -> str | None:
    """The checked file back from the confirmation form, if it is this user's and recent (signed)."""
    try:
        data = signing.loads(payload, salt=IMPORT_SALT, max_age=IMPORT_PAYLOAD_MAX_AGE)
    except signing.BadSignature:
        return None
    return data["csv"] if data.get("user") == str(request.user.pk) else None


def _run_import(text: str, *, areas: frozenset[str] | None, dry_run: bool) -> ImportResult | str:
    """Every row is validated again on the real run: the area and the database may have changed meanwhile."""
    try:
        return users_import_csv(stream=io.StringIO(text), dry_run=dry_run, areas=areas)
    except ValidationFailed as exc:
        return str(exc.message)


def _import_summary(result: ImportResult) -> str:
    return str(
        _(
            "%(rows)s baris: %(created)s pengguna baru, %(roles)s peran ditambahkan, %(unchanged)s tidak berubah, %(refused)s ditolak"
        )
        % {
            "rows": result.rows,
            "created": result.users_created,
            "roles": result.roles_added,
            "unchanged": result.unchanged,
            "refused": len(result.refused),
        }
    )
