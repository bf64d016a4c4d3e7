"""Geography and facilities: Indonesia's administrative regions (keyed by Kemendagri code) and health facilities.

Codes are hierarchical and dotted (`62`, `62.06`, `62.06.01`, `62.06.01.2001`), so "inside an area" is a code
prefix test: `code == area or code startswith area + "."`. Points are geography (WGS 84) so distances are
geodesic metres, and every point column has a GiST index for KNN (`<->`) and radius queries.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Provinsi")
    REGENCY = "regency", _("Kabupaten/Kota")
    DISTRICT = "district", _("Kecamatan")
    VILLAGE = "village", _("Desa/Kelurahan")


class TimeZoneName(models.TextChoices):
    WIB = "Asia/Jakarta", "WIB"
    WITA = "Asia/Makassar", "WITA"
    WIT = "Asia/Jayapura", "WIT"


class Region(models.Model):
    code = models.CharField(_("kode Kemendagri"), max_length=13, primary_key=True)
    level = models.CharField(_("tingkat"), max_length=10, choices=RegionLevel.choices, db_index=True)
    name = models.CharField(_("nama"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("induk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    timezone = models.CharField(
        _("zona waktu"), max_length=20, choices=TimeZoneName.choices, default=TimeZoneName.WIB
    )
    postal_code = models.CharField(_("kode pos"), max_length=5, blank=True)
    point = models.PointField(_("titik pusat"), geography=True, null=True, blank=True)
    boundary = models.MultiPolygonField(_("batas wilayah"), null=True, blank=True)
    # Escalation knobs per area (regency usually); null means "inherit from the parent, then settings".
    routing_max_radius_km = models.PositiveIntegerField(
        _("radius rujukan maksimum (km)"), null=True, blank=True
    )
    # The longest trip (minutes over roads, ferries and rivers) a client is offered; beyond it: the coordinator.
    routing_max_travel_minutes = models.PositiveIntegerField(
        _("waktu tempuh rujukan maksimum (menit)"), null=True, blank=True
    )
    sla_routine_hours = models.PositiveIntegerField(_("SLA rutin (jam)"), null=True, blank=True)
    sla_urgent_hours = models.PositiveIntegerField(_("SLA mendesak (jam)"), null=True, blank=True)

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        # The primary key already has a varchar_pattern_ops index (Django adds `*_like` for a CharField key),
        # which serves the `code LIKE '62.06.%'` prefix filters.
        # Village search is `name__icontains` (UPPER(name) LIKE UPPER('%q%')): migration 0003 adds a trigram
        # GIN index on UPPER(name), in SQL because Django 5.2 parenthesises OpClass(Upper(...)) wrongly for GIN.
        indexes = [models.Index(fields=["name"], name="region_name_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_kelurahan(self) -> bool:
        """A kelurahan (urban, headed by a civil servant) rather than a desa: Kemendagri's 4-digit village
        number starts with 1 for a kelurahan and 2 for a desa."""
        return self.level == RegionLevel.VILLAGE and self.code.rsplit(".", 1)[-1].startswith("1")

    def ancestor_codes(self) -> list[str]:
        """This region's code and every ancestor's, nearest first: '62.06.01.2001' -> [.., '62.06', '62']."""
        parts = self.code.split(".")
        return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


class FacilityType(models.TextChoices):
    PUSKESMAS = "puskesmas", _("Puskesmas")
    RSUD = "rsud", _("Rumah Sakit Umum Daerah")
    RSJ = "rsj", _("Rumah Sakit Jiwa")
    KLINIK_BNN = "klinik_bnn", _("Klinik Pratama BNN")
    IPWL = "ipwl", _("IPWL")
    YAYASAN = "yayasan", _("Yayasan rehabilitasi")


class Facility(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("kode"), max_length=32, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    type = models.CharField(_("jenis"), max_length=16, choices=FacilityType.choices, db_index=True)
    is_ipwl = models.BooleanField(_("IPWL"), default=False)
    # The IPWL designation (Institusi Penerima Wajib Lapor, by a Minister of Health decree) and its validity:
    # treatment and compulsory reporting go only to a facility designated on the day (or a BNN clinic).
    ipwl_decree_number = models.CharField(_("nomor SK IPWL"), max_length=100, blank=True)
    ipwl_valid_from = models.DateField(_("SK IPWL berlaku sejak"), null=True, blank=True)
    ipwl_valid_until = models.DateField(_("SK IPWL berlaku sampai"), null=True, blank=True)
    # The working area (wilayah kerja): the kecamatan (or village) codes whose clients are this facility's own
    # catchment; routing offers a case inside its catchment first.
    working_area = ArrayField(
        models.CharField(max_length=13), verbose_name=_("wilayah kerja"), default=list, blank=True
    )
    village = models.ForeignKey(
        Region, verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="facilities"
    )
    address = models.CharField(_("alamat"), max_length=300, blank=True)
    phone = models.CharField(_("telepon"), max_length=20, blank=True)
    location = models.PointField(_("lokasi"), geography=True)
    inpatient_beds = models.PositiveIntegerField(_("tempat tidur rawat inap"), default=0)
    outpatient_capacity_per_month = models.PositiveIntegerField(
        _("kapasitas rawat jalan per bulan"), default=0
    )
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("fasilitas")
        verbose_name_plural = _("fasilitas")

    def __str__(self) -> str:
        return self.name

    def is_ipwl_on(self, day: date) -> bool:
        """Designated IPWL on `day`: flagged, and within the decree's validity where one is recorded."""
        if not self.is_ipwl:
            return False
        if self.ipwl_valid_from is not None and day < self.ipwl_valid_from:
            return False
        return self.ipwl_valid_until is None or day <= self.ipwl_valid_until
