"""Writes to the geography: bulk, idempotent imports of regions and facilities.

Policy for imports (the `import_regions` / `import_facilities` commands and the demo loader):
1. Every row is validated first; a bad row is rejected with a report line (source line, code, field, reason)
   and never reaches the database. A child whose parent is unknown or was rejected is rejected too.
2. Regions are saved parent-first (provinces, regencies, districts, villages) whatever the file's order.
3. Rows are upserted in batches (`INSERT ... ON CONFLICT (code) DO UPDATE`), each batch in its own transaction:
   a batch is saved whole or not at all, and an interrupted import is resumed by running it again (saved rows
   are updated in place, or skipped with `skip_existing`).
4. Optional columns left empty (point, boundary, postal code, time zone) do not erase what is stored; an empty
   time zone is inherited from the parent. Area settings (routing radius, SLA hours) are never touched.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from villages.models import Facility, FacilityType, Region, RegionLevel, TimeZoneName
from villages.sources import RegionRecord, dotted, parent_of

LEVEL_BY_DEPTH = {
    1: RegionLevel.PROVINCE,
    2: RegionLevel.REGENCY,
    3: RegionLevel.DISTRICT,
    4: RegionLevel.VILLAGE,
}
LEVEL_ALIASES = {
    "provinsi": RegionLevel.PROVINCE,
    "kabupaten": RegionLevel.REGENCY,
    "kota": RegionLevel.REGENCY,
    "kabupaten/kota": RegionLevel.REGENCY,
    "kecamatan": RegionLevel.DISTRICT,
    "desa": RegionLevel.VILLAGE,
    "kelurahan": RegionLevel.VILLAGE,
    "desa/kelurahan": RegionLevel.VILLAGE,
}
TIMEZONE_ALIASES = {"wib": TimeZoneName.WIB, "wita": TimeZoneName.WITA, "wit": TimeZoneName.WIT}
CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
UNDOTTED_RE = re.compile(r"^\d{2}(\d{2}(\d{2}(\d{4})?)?)?$")
FACILITY_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
REGION_OPTIONAL_FIELDS = ("point", "boundary", "postal_code")
REGION_BASE_FIELDS = ["level", "name", "parent", "timezone"]
FACILITY_UPDATE_FIELDS = [
    "name",
    "type",
    "is_ipwl",
    "village",
    "address",
    "phone",
    "location",
    "inpatient_beds",
    "outpatient_capacity_per_month",
    "working_area",
]
TRUE_WORDS = {"1", "true", "ya", "yes", "y"}
FALSE_WORDS = {"0", "false", "tidak", "no", "n", ""}


@dataclass(frozen=True)
class Rejection:
    line: int
    code: str
    field: str
    reason: str  # stable snake_case
    message: str

    def __str__(self) -> str:
        return f"baris {self.line} [{self.code or '-'}] {self.field}: {self.reason} ({self.message})"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def saved(self) -> int:
        return self.created + self.updated


class RowError(Exception):
    def __init__(self, field_name: str, reason: str, message: Any) -> None:
        super().__init__(reason)
        self.field, self.reason, self.message = field_name, reason, str(message)


def normalize_code(raw: str) -> str:
    """A Kemendagri code as dotted text; undotted digits (`6206021003`) are accepted and dotted."""
    raw = raw.strip()
    return dotted(raw) if UNDOTTED_RE.match(raw) else raw


def parse_point(lat: str, lng: str) -> Point | None:
    if not lat and not lng:
        return None
    try:
        y, x = float(lat), float(lng)
    except ValueError as exc:
        raise RowError("lat", "invalid_point", _("Koordinat bukan angka.")) from exc
    if not (-90 <= y <= 90 and -180 <= x <= 180):
        raise RowError("lat", "invalid_point", _("Koordinat di luar jangkauan."))
    return Point(x, y, srid=4326)


def _parse_boundary(wkt: str) -> MultiPolygon | None:
    if not wkt:
        return None
    try:
        geom = GEOSGeometry(wkt, srid=4326)
    except (GEOSException, ValueError) as exc:
        raise RowError("wkt", "invalid_wkt", _("WKT tidak dapat dibaca.")) from exc
    if isinstance(geom, Polygon):
        geom = MultiPolygon(geom, srid=4326)
    if not isinstance(geom, MultiPolygon) or not geom.valid:
        raise RowError("wkt", "invalid_wkt", _("Batas wilayah harus (multi)poligon yang valid."))
    return geom


def _region_from_record(rec: RegionRecord, parent_tz: dict[str, str]) -> Region:
    code = normalize_code(rec.code)
    if not CODE_RE.match(code):
        raise RowError("code", "invalid_code", _("Kode Kemendagri tidak valid."))
    depth = code.count(".") + 1
    level = LEVEL_ALIASES.get(rec.level.lower(), rec.level.lower())
    if level != LEVEL_BY_DEPTH[depth]:
        raise RowError("level", "level_mismatch", _("Tingkat tidak sesuai dengan kode."))
    parent = parent_of(code)
    if normalize_code(rec.parent_code) not in ("", parent):
        raise RowError("parent_code", "parent_mismatch", _("Kode induk tidak sesuai dengan kode."))
    if parent and parent not in parent_tz:
        raise RowError("parent_code", "unknown_parent", _("Wilayah induk tidak dikenal."))
    name = " ".join(rec.name.split())
    if not name or len(name) > 120:
        raise RowError("name", "invalid_name", _("Nama wajib diisi (maks. 120 karakter)."))
    tz = TIMEZONE_ALIASES.get(rec.timezone.lower(), rec.timezone) or parent_tz.get(parent) or TimeZoneName.WIB
    if tz not in TimeZoneName.values:
        raise RowError("timezone", "invalid_timezone", _("Zona waktu harus WIB, WITA atau WIT."))
    if rec.postal_code and not re.fullmatch(r"\d{5}", rec.postal_code):
        raise RowError("postal_code", "invalid_postal_code", _("Kode pos harus 5 angka."))
    boundary = _parse_boundary(rec.wkt)
    point = parse_point(rec.lat, rec.lng)
    if point is None and boundary is not None:
        point = Point(boundary.centroid.x, boundary.centroid.y, srid=4326)
    return Region(
        code=code,
        level=level,
        name=name,
        parent_id=parent or None,
        timezone=tz,
        postal_code=rec.postal_code,
        point=point,
        boundary=boundary,
    )


def _stored_timezones(codes: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    ordered = sorted(codes)
    for i in range(0, len(ordered), 5000):
        found.update(Region.objects.filter(code__in=ordered[i : i + 5000]).values_list("code", "timezone"))
    return found


def regions_validate(records: Iterable[RegionRecord]) -> tuple[list[Region], list[Rejection]]:
    """Valid rows as unsaved Regions, parent-first, and the rejected rows. One query for stored parents."""
    by_depth: dict[int, list[RegionRecord]] = defaultdict(list)
    for rec in records:
        by_depth[normalize_code(rec.code).count(".") + 1].append(rec)
    all_parents = {parent_of(normalize_code(r.code)) for recs in by_depth.values() for r in recs}
    known_tz = _stored_timezones(all_parents - {""})
    regions: list[Region] = []
    rejected: list[Rejection] = []
    seen: set[str] = set()
    for depth in sorted(by_depth):
        for rec in by_depth[depth]:
            try:
                region = _region_from_record(rec, known_tz)
                if region.code in seen:
                    raise RowError("code", "duplicate", _("Kode muncul lebih dari sekali dalam berkas."))
            except RowError as err:
                rejected.append(Rejection(rec.line, rec.code, err.field, err.reason, err.message))
                continue
            seen.add(region.code)
            known_tz[region.code] = region.timezone
            regions.append(region)
    return regions, rejected


def _existing_codes(model: type[Region] | type[Facility], codes: list[str]) -> set[str]:
    return set(model.objects.filter(code__in=codes).values_list("code", flat=True))


def regions_save(
    regions: list[Region],
    *,
    batch_size: int = 2000,
    skip_existing: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Upserts validated regions (already parent-first) in batches, one transaction per batch."""
    report = ImportReport()
    for start in range(0, len(regions), batch_size):
        batch = regions[start : start + batch_size]
        with transaction.atomic():
            existing = _existing_codes(Region, [r.code for r in batch])
            if skip_existing:
                fresh = [r for r in batch if r.code not in existing]
                Region.objects.bulk_create(fresh, ignore_conflicts=True)
                report.created += len(fresh)
                report.skipped += len(batch) - len(fresh)
            else:
                # Rows differ in which optional columns they carry: an empty one must not erase stored data.
                groups: dict[tuple[str, ...], list[Region]] = defaultdict(list)
                for r in batch:
                    groups[tuple(f for f in REGION_OPTIONAL_FIELDS if getattr(r, f))].append(r)
                for present, rows in groups.items():
                    Region.objects.bulk_create(
                        rows,
                        update_conflicts=True,
                        unique_fields=["code"],
                        update_fields=[*REGION_BASE_FIELDS, *present],
                    )
                report.created += len(batch) - len(existing)
                report.updated += len(existing)
        if progress:
            progress(len(batch))
    return report


def regions_import(
    records: Iterable[RegionRecord],
    *,
    batch_size: int = 2000,
    skip_existing: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    regions, rejected = regions_validate(records)
    report = regions_save(regions, batch_size=batch_size, skip_existing=skip_existing, progress=progress)
    report.rejected = rejected
    return report


def _parse_count(raw: str, field_name: str) -> int:
    if not raw:
        return 0
    if not raw.isdigit():
        raise RowError(field_name, "invalid_number", _("Harus bilangan bulat tidak negatif."))
    return int(raw)


def _facility_from_row(row: dict[str, str], villages: dict[str, Point | None]) -> Facility:
    code = row.get("code", "").strip().upper()
    if not FACILITY_CODE_RE.match(code):
        raise RowError("code", "invalid_code", _("Kode fasilitas: huruf besar, angka dan '-', maks. 32."))
    name = " ".join(row.get("name", "").split())
    if not name or len(name) > 200:
        raise RowError("name", "invalid_name", _("Nama wajib diisi (maks. 200 karakter)."))
    ftype = row.get("type", "").strip().lower()
    if ftype not in FacilityType.values:
        raise RowError("type", "invalid_type", _("Jenis fasilitas tidak dikenal."))
    ipwl = row.get("is_ipwl", "").strip().lower()
    if ipwl not in TRUE_WORDS | FALSE_WORDS:
        raise RowError("is_ipwl", "invalid_boolean", _("Harus true/false atau ya/tidak."))
    village_code = normalize_code(row.get("village_code", ""))
    if village_code not in villages:
        raise RowError("village_code", "unknown_village", _("Desa/kelurahan tidak dikenal."))
    location = parse_point(row.get("lat", "").strip(), row.get("lng", "").strip()) or villages[village_code]
    if location is None:
        raise RowError("lat", "missing_point", _("Lokasi wajib diisi (desa ini tanpa titik pusat)."))
    address, phone = row.get("address", "").strip(), row.get("phone", "").strip()
    if len(address) > 300 or len(phone) > 20:
        raise RowError("address" if len(address) > 300 else "phone", "too_long", _("Teks terlalu panjang."))
    return Facility(
        code=code,
        name=name,
        type=ftype,
        is_ipwl=ipwl in TRUE_WORDS,
        village_id=village_code,
        address=address,
        phone=phone,
        location=location,
        inpatient_beds=_parse_count(row.get("inpatient_beds", "").strip(), "inpatient_beds"),
        outpatient_capacity_per_month=_parse_count(
            row.get("outpatient_capacity_per_month", "").strip(), "outpatient_capacity_per_month"
        ),
        working_area=_working_area(row.get("working_area", ""), ftype=ftype, village_code=village_code),
    )


def _working_area(raw: str, *, ftype: str, village_code: str) -> list[str]:
    """The `working_area` column (kecamatan or village codes, separated by ';'); a puskesmas without one serves
    the kecamatan it stands in (its usual wilayah kerja), other facilities none."""
    codes = [normalize_code(c) for c in raw.split(";") if c.strip()]
    if any(not CODE_RE.match(c) or c.count(".") < 2 for c in codes):
        raise RowError("working_area", "invalid_code", _("Wilayah kerja: kode kecamatan/desa dipisah ';'."))
    if not codes and ftype == FacilityType.PUSKESMAS:
        codes = [".".join(village_code.split(".")[:3])]
    return codes


def facilities_import(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Upserts facilities keyed by `code` from (line, row) pairs; the village must already be imported.

    A row without lat/lng is placed at its village's centroid. `active` is never changed by an import.
    """
    rows = list(rows)
    codes = {normalize_code(r.get("village_code", "")) for _, r in rows}
    villages = dict(
        Region.objects.filter(code__in=codes, level=RegionLevel.VILLAGE).values_list("code", "point")
    )
    report = ImportReport()
    facilities: list[Facility] = []
    seen: set[str] = set()
    for line, row in rows:
        try:
            facility = _facility_from_row(row, villages)
            if facility.code in seen:
                raise RowError("code", "duplicate", _("Kode muncul lebih dari sekali dalam berkas."))
        except RowError as err:
            report.rejected.append(Rejection(line, row.get("code", ""), err.field, err.reason, err.message))
            continue
        seen.add(facility.code)
        facilities.append(facility)
    for start in range(0, len(facilities), batch_size):
        batch = facilities[start : start + batch_size]
        with transaction.atomic():
            existing = _existing_codes(Facility, [f.code for f in batch])
            Facility.objects.bulk_create(
                batch, update_conflicts=True, unique_fields=["code"], update_fields=FACILITY_UPDATE_FIELDS
            )
        report.created += len(batch) - len(existing)
        report.updated += len(existing)
        if progress:
            progress(len(batch))
    return report
