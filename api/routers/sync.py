"""Offline sync: the visit upload batch and the change feed (backend/sync)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Header, Query, Router, Schema
from ninja.decorators import decorate_view

from api.auth import current_user
from api.compression import compressed
from api.schemas.accounts import ErrorOut
from api.schemas.base import UuidHeader
from api.schemas.sync import ChangesOut, SyncVisitsIn, SyncVisitsOut
from backend.mobile.feed import changes_page, page_json
from backend.mobile.uploads import visits_upload

router = Router()
# A default `Header(None, ...)`, not `Annotated[..., Header()] = None`: with a schema of its own in the annotation
# (format uuid), ninja would mark the header required in the document.
IDEMPOTENCY_KEY = Header(
    None, alias="Idempotency-Key", description="UUID, opsional (422 invalid_idempotency_key)."
)


@router.post(
    "/visits",
    response={200: SyncVisitsOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Unggah kunjungan (maks. 500), satu hasil per kunjungan",
    url_name="sync_visits",
)
def sync_visits(
    request: HttpRequest,
    payload: SyncVisitsIn,
    idempotency_key: UuidHeader = IDEMPOTENCY_KEY,
) -> JsonResponse:
    """`created`, `duplicate`, `updated` or `rejected` per item; resending the batch creates nothing twice.

    403 `not_a_field_worker`; 409 `idempotency_in_progress`; 422 `batch_too_large`, `invalid_idempotency_key`,
    `idempotency_key_reused`.
    """
    status, body = visits_upload(
        actor=current_user(request), items=payload.visits, idempotency_key=idempotency_key
    )
    # The body is built to SyncVisitsOut by the service (and tested so); re-validating 500 results through the
    # schema took longer than writing them.
    return JsonResponse(body, status=status)


class ChangesQuery(Schema):
    cursor: str | None = Field(
        None, max_length=200, description="Dari halaman sebelumnya; kosong: sinkron awal."
    )
    # Up to 5,000 (was 1,000): a first sync of 200 clients and 5,000 visits takes two or three requests.
    limit: int = Field(200, ge=1, le=5000, description="Jumlah entri per halaman (maks. 5000).")


@router.get(
    "/changes",
    response={200: ChangesOut, 401: ErrorOut, 422: ErrorOut},
    summary="Perubahan dalam cakupan pengguna sejak cursor",
    url_name="sync_changes",
)
# Brotli or gzip when the phone asks (Accept-Encoding): a first sync's JSON shrinks twelve- to sixteenfold. Read
# with the bearer token, never a cookie: see api/compression.py on BREACH.
@decorate_view(compressed)
def sync_changes(request: HttpRequest, query: Query[ChangesQuery]) -> HttpResponse:
    """Without a cursor: the phone's whole set (paged), then the changes. 422 `invalid_cursor`."""
    page = changes_page(user=current_user(request), cursor=query.cursor, limit=query.limit)
    # Built to ChangesOut by the feed, visits as JSON made by the database: written out as they are.
    return HttpResponse(page_json(page), content_type="application/json")
