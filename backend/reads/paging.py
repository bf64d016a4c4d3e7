"""A page of a long list in two statements, whatever the size of the caller's scope: the first picks the page's
ids in the list's order and counts the whole list in the same scan (a window count), the second reads the rows
of those ids with their joins. A province coordinator's list holds tens of thousands of rows: one statement
that joins every row in scope and then sorts to keep fifty (what `qs[offset:offset + limit]` with
`select_related` gives) and a second that counts the scope again cost seconds on the national set (bench_roles).

Only readers of this package call `ids_page`; the rows of the ids it returns are read without the scope's filter
(evaluating it again is what cost the time), which is safe because the ids came from the scoped list in the same
request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Window


@dataclass(frozen=True)
class IdsPage:
    ids: list[Any]  # the page's primary keys, in the list's order
    count: int  # rows in the whole list
    has_more: bool


@dataclass(frozen=True)
class Page:
    items: list[Any]  # the page's rows, in the list's order
    count: int
    has_more: bool


def ids_page(qs: QuerySet[Any], *, offset: int, limit: int) -> IdsPage:
    """Rows offset..offset+limit of `qs` (ordered) as ids, and the count of `qs`, in one statement; a page past
    the end costs a second statement (the count, which the window cannot give without a row)."""
    picked = list(
        qs.annotate(list_total=Window(Count("pk"))).values_list("pk", "list_total")[
            offset : offset + limit + 1
        ]
    )
    count = picked[0][1] if picked else (qs.count() if offset else 0)
    return IdsPage(ids=[pk for pk, _total in picked[:limit]], count=count, has_more=len(picked) > limit)


def in_order(rows: list[Any], ids: list[Any]) -> list[Any]:
    """`rows` (read by id) in the order of `ids`; ids without a row (gone since) are left out."""
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def narrow_page(qs: QuerySet[Any], *, offset: int, limit: int) -> Page:
    """A page of `qs` (ordered) in three statements: the page's ids (a narrow sort: an index that carries the
    order's columns makes it index-only), the rows of those ids through `qs` itself (its scope and annotations
    kept: the filter by id makes it cheap), and the count. For lists whose rows are wide and whose count is
    cheap on its own, where a window count would force the whole list through the sort (GET /clients: a
    province's 100,000 clients)."""
    picked = list(qs.values_list("pk", flat=True)[offset : offset + limit + 1])
    ids = picked[:limit]
    rows = list(qs.filter(pk__in=ids)) if ids else []
    count = qs.count() if picked or offset else 0
    return Page(items=in_order(rows, ids), count=count, has_more=len(picked) > limit)
