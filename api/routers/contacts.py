"""Offline sync of contact attempts (backend/recovery/contacts.py), mounted under /sync."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from ninja import Header, Router

from api.auth import current_user
from api.schemas.accounts import ErrorOut
from api.schemas.base import UuidHeader
from api.schemas.contacts import SyncContactAttemptsIn, SyncContactAttemptsOut
from backend.mobile.uploads import contact_attempts_upload

router = Router()
# A default `Header(None, ...)`, not `Annotated[..., Header()] = None`: with a schema of its own in the annotation
# (format uuid), ninja would mark the header required in the document.
IDEMPOTENCY_KEY = Header(
    None, alias="Idempotency-Key", description="UUID, opsional (422 invalid_idempotency_key)."
)


@router.post(
    "/contact-attempts",
    response={200: SyncContactAttemptsOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Unggah upaya kontak (maks. 500), satu hasil per upaya",
    url_name="sync_contact_attempts",
)
def sync_contact_attempts(
    request: HttpRequest,
    payload: SyncContactAttemptsIn,
    idempotency_key: UuidHeader = IDEMPOTENCY_KEY,
) -> JsonResponse:
    """`created`, `duplicate` or `rejected` per item; resending the batch creates nothing twice. Results drive
    the follow-up (a `reached` attempt ends it, `refused` pauses it, `moved_away` asks the coordinator for a
    hand-over, `wrong_number` flags the phone, `deceased` closes the client).

    403 `not_a_field_worker`; 409 `idempotency_in_progress`; 422 `batch_too_large`, `invalid_idempotency_key`,
    `idempotency_key_reused`.
    """
    status, body = contact_attempts_upload(
        actor=current_user(request), items=payload.attempts, idempotency_key=idempotency_key
    )
    # The body is built to SyncContactAttemptsOut by the service (tested so), like the visit upload's.
    return JsonResponse(body, status=status)
