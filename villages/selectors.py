"""Reads of the geography: regions by code, village search, nearest facilities, per-area settings.

Geography is public reference data (names, codes and positions of villages and health facilities), so these
selectors are not scoped per user: every signed-in user may read all of it. Nothing personal lives here.

Nearest-neighbour queries rank on `location <-> point` (GeometryDistance), which PostgreSQL answers from the
GiST index as a KNN scan, and compute the exact spheroidal distance (Distance) for the k rows returned only;
`<->` on geography is spherical, about 0.5% off the spheroid, which is fine for ranking (STACK-NOTES).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.contrib.gis.geos import Point
from django.db.models import Q, QuerySet

from backend.common.errors import NotFound
from villages.models import Facility, Region, RegionLevel

AREA_SETTING_FIELDS = {"routing_max_radius_km", "sla_routine_hours", "sla_urgent_hours"}


def region_code_filter(code: str, field: str = "code") -> Q:
    """Rows whose region code `field` is `code` or lies inside it (codes nest by dotted prefix)."""
    return Q(**{field: code}) | Q(**{f"{field}__startswith": code + "."})


def ancestor_codes(code: str) -> list[str]:
    """`code` and every ancestor's, nearest first: '62.06.02.1003' -> ['62.06.02.1003', '62.06.02', ...]."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def region_get(*, code: str) -> Region:
    region = Region.objects.select_related("parent").filter(code=code).first()
    if region is None:
        raise NotFound(code="not_found")
    return region


def region_ancestors(*, region: Region) -> list[Region]:
    """The region's ancestors, province first (one query)."""
    codes = ancestor_codes(region.code)[1:]
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [by_code[c] for c in reversed(codes) if c in by_code]


def region_children_qs(*, region: Region) -> QuerySet[Region]:
    return Region.objects.filter(parent_id=region.code).order_by("code")


def region_timezone(code: str) -> ZoneInfo:
    """The time zone of the area with this code (or of its nearest known ancestor); settings.TIME_ZONE else.

    Stored on every region (imports inherit it downwards), so one query answers it.
    """
    found = dict(Region.objects.filter(code__in=ancestor_codes(code)).values_list("code", "timezone"))
    for c in ancestor_codes(code):
        if c in found:
            return ZoneInfo(found[c])
    return ZoneInfo(settings.TIME_ZONE)


def area_setting(code: str, field: str, default: Any) -> Any:
    """The nearest non-null value of an area knob, walking from the region up to its province; else `default`.

    E.g. `area_setting("62.06.02.1003", "routing_max_radius_km", settings.ROUTING_DEFAULT_MAX_RADIUS_KM)`
    uses the district's value if set, else the regency's, else the province's. One query.
    """
    if field not in AREA_SETTING_FIELDS:
        raise ValueError(f"not an area setting: {field}")
    codes = ancestor_codes(code)
    found = dict(
        Region.objects.filter(code__in=codes, **{f"{field}__isnull": False}).values_list("code", field)
    )
    return next((found[c] for c in codes if c in found), default)


def villages_qs(
    *, q: str | None = None, region: str | None = None, near: Point | None = None
) -> QuerySet[Region]:
    """Villages by case-insensitive name, inside an area code, ranked by distance from `near` (KNN on the
    GiST index, with `.distance`) or else alphabetically. District and regency come along (`parent`,
    `parent.parent`) in the same query."""
    qs = Region.objects.filter(level=RegionLevel.VILLAGE).select_related("parent__parent")
    if q:
        qs = qs.filter(name__icontains=q)
    if region:
        qs = qs.filter(region_code_filter(region))
    if near is None:
        return qs.order_by("name", "code")
    return (
        qs.filter(point__isnull=False)
        .annotate(distance=Distance("point", near))
        .order_by(GeometryDistance("point", near))
    )


def villages_search(
    *,
    q: str | None = None,
    region: str | None = None,
    near: Point | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Region]:
    return list(villages_qs(q=q, region=region, near=near)[offset : offset + limit])


def villages_nearest(*, point: Point, limit: int = 10, region: str | None = None) -> list[Region]:
    return villages_search(near=point, region=region, limit=limit)


def facilities_qs(
    *, type: str | None = None, region: str | None = None, q: str | None = None
) -> QuerySet[Facility]:
    """Active facilities, optionally of one type, named like `q`, inside an area code (by their village)."""
    qs = Facility.objects.filter(active=True).select_related("village")
    if q:
        qs = qs.filter(name__icontains=q)
    if type:
        qs = qs.filter(type=type)
    if region:
        qs = qs.filter(region_code_filter(region, "village__code"))
    return qs


def facilities_nearest_qs(
    *, point: Point, type: str | None = None, region: str | None = None, q: str | None = None
) -> QuerySet[Facility]:
    """Active facilities ordered by `location <-> point` (a KNN scan of the GiST index), with `.distance`."""
    return (
        facilities_qs(type=type, region=region, q=q)
        .annotate(distance=Distance("location", point))
        .order_by(GeometryDistance("location", point))
    )


def facilities_nearest(
    *,
    point: Point,
    type: str | None = None,
    region: str | None = None,
    q: str | None = None,
    limit: int = 10,
    offset: int = 0,
) -> list[Facility]:
    """The `limit` active facilities nearest to `point`, nearest first, each with `.distance` (a D)."""
    qs = facilities_nearest_qs(point=point, type=type, region=region, q=q)
    return list(qs[offset : offset + limit])


def facilities_list(
    *,
    type: str | None = None,
    region: str | None = None,
    q: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Facility]:
    """Active facilities alphabetically (no point to rank by)."""
    qs = facilities_qs(type=type, region=region, q=q)
    return list(qs.order_by("name", "code")[offset : offset + limit])
