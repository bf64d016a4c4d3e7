"""Limit/offset pagination with a hard upper limit: no list endpoint returns an unbounded list."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema


class PageParams(Schema):
    limit: int = Field(
        50, ge=1, le=settings.API_MAX_PAGE_SIZE, description="Jumlah baris per halaman (maks. 200)."
    )
    offset: int = Field(0, ge=0, le=1_000_000, description="Lewati sejumlah baris.")


def paginate(qs: QuerySet[Any] | list[Any], page: PageParams) -> dict[str, Any]:
    """A page of `qs` as {items, count, limit, offset, has_more}. `count` costs one COUNT query."""
    items = list(qs[page.offset : page.offset + page.limit + 1])
    has_more = len(items) > page.limit
    count = qs.count() if hasattr(qs, "count") and not isinstance(qs, list) else len(qs)
    return {
        "items": items[: page.limit],
        "count": count,
        "limit": page.limit,
        "offset": page.offset,
        "has_more": has_more,
    }
