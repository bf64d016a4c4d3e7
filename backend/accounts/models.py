"""Users, their role assignments (each with the area or facility it covers), and certificates.

Users are provisioned by coordinators or admins, never self-registered. The phone number (E.164) is the login.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.phones import normalize_phone


class Role(models.TextChoices):
    VILLAGE_OFFICIAL = "village_official", _("Aparatur desa")
    VOLUNTEER = "volunteer", _("Agen pemulihan / kader")
    COUNSELOR = "counselor", _("Konselor adiksi")
    ASSESSOR = "assessor", _("Asesor")
    FACILITY_ADMIN = "facility_admin", _("Admin fasilitas")
    COORDINATOR = "coordinator", _("Koordinator BNN")
    SYSTEM_ADMIN = "system_admin", _("Admin sistem")


# Which kind of place each role covers.
VILLAGE_ROLES = {Role.VILLAGE_OFFICIAL, Role.VOLUNTEER}
FACILITY_ROLES = {Role.COUNSELOR, Role.ASSESSOR, Role.FACILITY_ADMIN}
AREA_ROLES = {Role.COORDINATOR}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **fields):  # type: ignore[no-untyped-def]
        user = self.model(phone=normalize_phone(phone), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **fields):  # type: ignore[no-untyped-def]
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(phone, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone = models.CharField(
        _("nomor HP"), max_length=16, unique=True, help_text=_("Format E.164, mis. +6281234567890")
    )
    name = models.CharField(_("nama"), max_length=150)
    language = models.CharField(
        _("bahasa"), max_length=5, choices=[("id", "Bahasa Indonesia"), ("en", "English")], default="id"
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    is_staff = models.BooleanField(_("akses admin"), default=False)
    created_at = models.DateTimeField(_("dibuat"), default=timezone.now)
    # Staff availability for escalation routing.
    on_leave_from = models.DateField(_("cuti mulai"), null=True, blank=True)
    on_leave_until = models.DateField(_("cuti sampai"), null=True, blank=True)
    caseload_cap = models.PositiveIntegerField(_("batas beban kasus"), default=15)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"

    def is_on_leave(self, on: date) -> bool:
        if self.on_leave_from is None:
            return False
        return self.on_leave_from <= on and (self.on_leave_until is None or on <= self.on_leave_until)


class RoleAssignment(models.Model):
    """One role of a user, with the village, area (regency/province) or facility it covers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, verbose_name=_("pengguna"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("wilayah"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    facility = models.ForeignKey(
        "villages.Facility",
        verbose_name=_("fasilitas"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(_("dibuat"), default=timezone.now)

    class Meta:
        verbose_name = _("penugasan peran")
        verbose_name_plural = _("penugasan peran")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region", "facility"], name="role_assignment_unique"
            ),
            # A village role needs a region, a facility role a facility, a coordinator a region; admins neither.
            models.CheckConstraint(
                name="role_assignment_scope_matches_role",
                condition=(
                    models.Q(
                        role__in=["village_official", "volunteer", "coordinator"],
                        region__isnull=False,
                        facility__isnull=True,
                    )
                    | models.Q(
                        role__in=["counselor", "assessor", "facility_admin"],
                        facility__isnull=False,
                        region__isnull=True,
                    )
                    | models.Q(role="system_admin", facility__isnull=True, region__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        where = self.region_id or (self.facility.name if self.facility_id else "")
        return f"{self.get_role_display()} {where}"


class CertificateKind(models.TextChoices):
    COUNSELOR = "counselor", _("Konselor adiksi")
    ASSESSOR = "assessor", _("Asesor")


class Certification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, verbose_name=_("pengguna"), on_delete=models.CASCADE, related_name="certifications"
    )
    kind = models.CharField(_("jenis"), max_length=10, choices=CertificateKind.choices)
    number = models.CharField(_("nomor sertifikat"), max_length=64)
    issuer = models.CharField(_("penerbit"), max_length=150)
    issued_on = models.DateField(_("tanggal terbit"))
    expires_on = models.DateField(_("berlaku sampai"))
    revoked = models.BooleanField(_("dicabut"), default=False)

    class Meta:
        verbose_name = _("sertifikat")
        verbose_name_plural = _("sertifikat")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "number"], name="certification_number_unique"),
            models.CheckConstraint(
                name="certification_dates_ordered", condition=models.Q(expires_on__gte=models.F("issued_on"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def is_valid_on(self, day: date) -> bool:
        return not self.revoked and self.issued_on <= day <= self.expires_on


class RefreshToken(models.Model):
    """One refresh token, stored only as the SHA-256 of the opaque value handed to the phone.

    Tokens rotate: each use marks the token used and issues a successor in the same family. A used token that
    comes back means it was copied (or a race lost), so the whole family is revoked and the phone must sign
    in again.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, verbose_name=_("pengguna"), on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    family = models.UUIDField(_("keluarga token"), db_index=True)
    token_hash = models.CharField(_("hash token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("dibuat"), default=timezone.now)
    expires_at = models.DateTimeField(_("kedaluwarsa"))
    used_at = models.DateTimeField(_("dipakai"), null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self",
        verbose_name=_("diganti oleh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
    )
    revoked_at = models.DateTimeField(_("dicabut"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("alamat IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("token penyegaran")
        verbose_name_plural = _("token penyegaran")

    def __str__(self) -> str:
        return f"{self.user_id} {self.family} {self.created_at:%Y-%m-%d %H:%M}"
