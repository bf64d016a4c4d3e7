"""Geography: regions by Kemendagri code, village search, nearest facilities.

Public reference data, so every signed-in user reads all of it (see villages/selectors.py); sign-in is still
required, as everywhere but /health and /auth.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from api.pagination import PageParams, paginate
from api.schemas.accounts import ErrorOut
from api.schemas.geography import (
    FacilityListOut,
    FacilityQuery,
    RegionDetailOut,
    VillageListOut,
    VillageQuery,
)
from villages.models import Region
from villages.selectors import (
    facilities_list,
    facilities_nearest,
    region_ancestors,
    region_children_qs,
    region_get,
    villages_search,
)

router = Router()
ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _page(rows: list[Any], limit: int, offset: int) -> dict[str, Any]:
    """Selectors are asked for limit + 1 rows; the extra one only says whether there is more."""
    return {"items": rows[:limit], "limit": limit, "offset": offset, "has_more": len(rows) > limit}


@router.get(
    "/regions/{code}",
    response={200: RegionDetailOut, **ERRORS},
    summary="Wilayah menurut kode Kemendagri, dengan wilayah anaknya",
)
def get_region(
    request: HttpRequest,
    page: Query[PageParams],
    code: str = Path(..., description="Kode Kemendagri bertitik, mis. 62, 62.06, 62.06.02, 62.06.02.1003."),
) -> Region:
    region = region_get(code=code)
    region.ancestors = region_ancestors(region=region)  # type: ignore[attr-defined]
    region.children_page = paginate(region_children_qs(region=region), page)  # type: ignore[attr-defined]
    return region


@router.get(
    "/villages",
    response={200: VillageListOut, **ERRORS},
    summary="Cari desa/kelurahan (nama, wilayah, terdekat dari titik)",
)
def list_villages(request: HttpRequest, filters: Query[VillageQuery]) -> dict[str, Any]:
    if filters.region:
        region_get(code=filters.region)
    rows = villages_search(
        q=filters.q,
        region=filters.region,
        near=filters.near_point(),
        limit=filters.limit + 1,
        offset=filters.offset,
    )
    return _page(rows, filters.limit, filters.offset)


@router.get(
    "/facilities",
    response={200: FacilityListOut, **ERRORS},
    summary="Fasilitas kesehatan, terdekat dari titik bila `near` diberikan (dengan jarak dalam km)",
)
def list_facilities(request: HttpRequest, filters: Query[FacilityQuery]) -> dict[str, Any]:
    if filters.region:
        region_get(code=filters.region)
    near = filters.near_point()
    common: dict[str, Any] = {
        "type": filters.type.value if filters.type else None,
        "region": filters.region,
        "q": filters.q,
        "limit": filters.limit + 1,
        "offset": filters.offset,
    }
    rows = facilities_nearest(point=near, **common) if near else facilities_list(**common)
    return _page(rows, filters.limit, filters.offset)
