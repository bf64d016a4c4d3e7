"""Schemas of the geography endpoints: regions, villages and facilities."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib.gis.geos import Point
from ninja import Field, Schema
from pydantic import field_validator

from api.schemas.base import NEAR_PATTERN
from villages.models import Facility, FacilityType, Region

CODE_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"
MAX_LIMIT = 100
_NEAR_RE = re.compile(NEAR_PATTERN)


def parse_near(value: str) -> Point:
    """'LAT,LON' in decimal degrees as a WGS 84 point; ValueError if malformed or out of range."""
    match = _NEAR_RE.match(value)
    if not match:
        raise ValueError("near must be LAT,LON in decimal degrees")
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("near is out of range")
    return Point(lon, lat, srid=4326)


def _lat(point: Point | None) -> float | None:
    return round(point.y, 6) if point is not None else None


def _lon(point: Point | None) -> float | None:
    return round(point.x, 6) if point is not None else None


def _km(obj: Any) -> float | None:
    distance = getattr(obj, "distance", None)
    return round(distance.km, 3) if distance is not None else None


class NearQuery(Schema):
    near: str | None = Field(
        None,
        description="Urutkan menurut jarak dari titik ini: 'LAT,LON' dalam derajat desimal, mis. -1.907,113.429.",
        examples=["-1.907,113.429"],
        pattern=NEAR_PATTERN,
    )
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description=f"Jumlah baris (maks. {MAX_LIMIT}).")
    offset: int = Field(0, ge=0, le=10_000, description="Lewati sejumlah baris.")

    @field_validator("near")
    @classmethod
    def _valid_near(cls, value: str | None) -> str | None:
        if value is not None:
            parse_near(value)
        return value

    def near_point(self) -> Point | None:
        return parse_near(self.near) if self.near else None


class VillageQuery(NearQuery):
    q: str | None = Field(
        None,
        min_length=2,
        max_length=100,
        description="Cari nama desa/kelurahan (tanpa beda huruf besar/kecil).",
    )
    region: str | None = Field(
        None, pattern=CODE_PATTERN, description="Hanya di dalam wilayah ini (kode Kemendagri, mis. 62.06)."
    )


class FacilityQuery(NearQuery):
    type: FacilityType | None = Field(None, description="Jenis fasilitas.")
    region: str | None = Field(
        None, pattern=CODE_PATTERN, description="Hanya di dalam wilayah ini (kode Kemendagri, mis. 52.71)."
    )
    q: str | None = Field(None, min_length=2, max_length=100, description="Cari nama fasilitas.")


class RegionRefOut(Schema):
    code: str = Field(description="Kode Kemendagri bertitik, mis. 62.06.02.")
    name: str
    level: str = Field(description="province, regency, district atau village.")


class RegionOut(Schema):
    code: str = Field(description="Kode Kemendagri bertitik, mis. 62.06.02.1003.")
    name: str
    level: str = Field(description="province, regency, district atau village.")
    level_label: str = Field(description="Nama tingkat dalam bahasa pengguna.")
    is_kelurahan: bool = Field(description="Kelurahan (bukan desa); hanya bermakna untuk tingkat village.")
    parent_code: str | None = Field(description="Kode wilayah induk; null untuk provinsi.")
    timezone: str = Field(
        description="Zona waktu IANA: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)."
    )
    postal_code: str = Field(description="Kode pos (desa/kelurahan), kosong bila tidak diketahui.")
    lat: float | None = Field(description="Lintang titik pusat (WGS 84); null bila tidak diketahui.")
    lon: float | None = Field(description="Bujur titik pusat (WGS 84); null bila tidak diketahui.")

    @staticmethod
    def resolve_level_label(obj: Region) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        return obj.parent_id

    @staticmethod
    def resolve_lat(obj: Region) -> float | None:
        return _lat(obj.point)

    @staticmethod
    def resolve_lon(obj: Region) -> float | None:
        return _lon(obj.point)


class RegionChildrenOut(Schema):
    items: list[RegionOut]
    count: int = Field(description="Jumlah seluruh wilayah anak.")
    limit: int
    offset: int
    has_more: bool


class RegionDetailOut(RegionOut):
    ancestors: list[RegionRefOut] = Field(description="Wilayah induk, dari provinsi ke bawah.")
    # `children` is Region's reverse relation, so the page travels as `children_page`.
    children: RegionChildrenOut = Field(
        validation_alias="children_page", description="Wilayah anak (satu halaman, urut kode)."
    )


class VillageOut(Schema):
    code: str = Field(description="Kode Kemendagri desa/kelurahan, mis. 62.06.02.1003.")
    name: str
    is_kelurahan: bool
    district: RegionRefOut = Field(description="Kecamatan.")
    regency: RegionRefOut = Field(description="Kabupaten/kota.")
    timezone: str
    postal_code: str
    lat: float | None
    lon: float | None
    distance_km: float | None = Field(description="Jarak dari `near` dalam km; null tanpa `near`.")

    @staticmethod
    def resolve_district(obj: Region) -> Region:
        return obj.parent  # type: ignore[return-value]

    @staticmethod
    def resolve_regency(obj: Region) -> Region:
        return obj.parent.parent  # type: ignore[union-attr,return-value]

    @staticmethod
    def resolve_lat(obj: Region) -> float | None:
        return _lat(obj.point)

    @staticmethod
    def resolve_lon(obj: Region) -> float | None:
        return _lon(obj.point)

    @staticmethod
    def resolve_distance_km(obj: Region) -> float | None:
        return _km(obj)


class VillageListOut(Schema):
    items: list[VillageOut]
    limit: int
    offset: int
    has_more: bool = Field(description="Ada baris berikutnya (pakai offset + limit).")


class FacilityOut(Schema):
    id: uuid.UUID
    code: str = Field(description="Kode fasilitas, mis. PKM-6206-KASONGAN.")
    name: str
    type: FacilityType
    type_label: str = Field(description="Jenis fasilitas dalam bahasa pengguna.")
    is_ipwl: bool = Field(description="Institusi Penerima Wajib Lapor.")
    village: RegionRefOut = Field(description="Desa/kelurahan tempat fasilitas berada.")
    address: str
    phone: str
    lat: float
    lon: float
    inpatient_beds: int
    outpatient_capacity_per_month: int
    distance_km: float | None = Field(description="Jarak dari `near` dalam km; null tanpa `near`.")

    @staticmethod
    def resolve_type_label(obj: Facility) -> str:
        return str(obj.get_type_display())

    @staticmethod
    def resolve_lat(obj: Facility) -> float:
        return round(obj.location.y, 6)

    @staticmethod
    def resolve_lon(obj: Facility) -> float:
        return round(obj.location.x, 6)

    @staticmethod
    def resolve_distance_km(obj: Facility) -> float | None:
        return _km(obj)


class FacilityListOut(Schema):
    items: list[FacilityOut]
    limit: int
    offset: int
    has_more: bool = Field(description="Ada baris berikutnya (pakai offset + limit).")
