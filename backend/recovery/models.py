"""Recovery records: clients and the history of their status. (Families, consent, screening, visits: below.)"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.recovery.lifecycle import ClientStatus


class Sex(models.TextChoices):
    MALE = "male", _("Laki-laki")
    FEMALE = "female", _("Perempuan")


class Client(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Readable and unique per regency, e.g. KTG-2026-00042.
    code = models.CharField(_("kode klien"), max_length=24, unique=True)
    name = models.CharField(_("nama atau alias"), max_length=150)
    name_normalized = models.CharField(max_length=150, db_index=True, editable=False)
    sex = models.CharField(_("jenis kelamin"), max_length=6, choices=Sex.choices)
    birth_date = models.DateField(_("tanggal lahir"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("tahun lahir"), null=True, blank=True)
    phone = models.CharField(_("nomor HP"), max_length=16, blank=True)
    village = models.ForeignKey(
        "villages.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="clients"
    )
    address = models.CharField(_("alamat"), max_length=300, blank=True)
    substances = models.JSONField(_("zat yang digunakan"), default=list, blank=True)
    # NIK is never stored in clear: a keyed hash (HMAC-SHA256, settings.NIK_HMAC_KEY) and its last 4 digits.
    nik_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    nik_last4 = models.CharField(max_length=4, blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ClientStatus.choices,
        default=ClientStatus.IDENTIFIED,
        db_index=True,
    )
    assigned_volunteers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("pendamping"), related_name="assigned_clients", blank=True
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registered_clients"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("klien")
        verbose_name_plural = _("klien")
        indexes = [
            models.Index(fields=["village", "status"], name="client_village_status_idx"),
            models.Index(fields=["name_normalized", "birth_year", "village"], name="client_dedup_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class ClientStatusChange(models.Model):
    """One accepted lifecycle transition: kept forever as the client's status history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=ClientStatus.choices)
    to_status = models.CharField(max_length=20, choices=ClientStatus.choices)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at"]
