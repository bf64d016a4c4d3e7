"""Escalations: create, list, read (with the routing explanation), and the steps of a case.

Who may do what (backend/escalations/services/): volunteers and officials create for clients they may see;
the offered staff member accepts or declines; the assigned staff member (or their facility's admin) schedules,
records the outcome and closes; a coordinator of the area assigns by hand. An escalation outside the caller's
scope answers 404; inside it but not theirs to act on, 403.
"""

from __future__ import annotations

import uuid

from django.contrib.gis.geos import Point
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from api.auth import current_user
from api.pagination import PageParams
from api.schemas.accounts import ErrorOut
from api.schemas.escalations import (
    AssignIn,
    CancelIn,
    CloseIn,
    DeclineIn,
    EscalationConflictOut,
    EscalationCreateIn,
    EscalationOut,
    EscalationPageOut,
    EscalationStatusLit,
    OutcomeIn,
    ScheduleIn,
)
from backend.access.policy import may_escalate
from backend.common.errors import PermissionDenied
from backend.escalations import services
from backend.reads import escalations as selectors
from backend.reads.clients import client_get_for_write
from backend.reads.escalation_records import (
    escalation_list_items,
    escalation_record,
    escalation_record_created,
)

router = Router()
E = ErrorOut


def _out(request: HttpRequest, escalation_id: uuid.UUID, endpoint: str | None = None) -> dict:
    """The record as the caller may see it; with `endpoint`, the read is access-logged (the record carries the
    client's code and health free text). A creation's response is not: the write is its own record."""
    user = current_user(request)
    esc = selectors.escalation_get_for(user=user, escalation_id=escalation_id, endpoint=endpoint)
    return escalation_record(user=user, esc=esc)


@router.post(
    "",
    response={201: EscalationOut, 401: E, 403: E, 404: E, 409: EscalationConflictOut, 422: E},
    summary="Eskalasikan klien ke konselor/asesor terdekat",
    url_name="create_escalation",
)
def create_escalation(request: HttpRequest, payload: EscalationCreateIn) -> Status:
    """404 `client_not_found`; 403 `field_worker_required`; 409 `consent_required` (referral and data-collection consent) or
    `escalation_open` (with `existing`: the open escalation of the same need), or `consent_withdrawn`."""
    user = current_user(request)
    client = client_get_for_write(user=user, client_id=payload.client_id)
    if not may_escalate(user=user):
        raise PermissionDenied(
            _("Hanya kader atau aparatur desa yang dapat mengeskalasi."), code="field_worker_required"
        )
    loc = payload.location
    esc = services.escalation_create(
        actor=user,
        client=client,
        need=payload.need,
        urgency=payload.urgency,
        reason=payload.reason,
        location=Point(loc.lon, loc.lat, srid=4326) if loc else None,
    )
    return Status(201, escalation_record_created(user=user, esc=esc))


class ListQuery(Schema):
    status: EscalationStatusLit | None = None


@router.get(
    "",
    response={200: EscalationPageOut, 401: E, 422: E},
    summary="Daftar eskalasi",
    url_name="list_escalations",
)
def list_escalations(request: HttpRequest, query: Query[ListQuery], page: Query[PageParams]) -> dict:
    """Staff: cases offered or assigned to them; volunteers/officials: their villages' and their own;
    coordinators: their area's. Newest first."""
    user = current_user(request)
    found = selectors.escalation_page(user=user, status=query.status, offset=page.offset, limit=page.limit)
    items = escalation_list_items(user=user, escs=found.items, endpoint="GET /escalations")
    return {
        "items": items,
        "count": found.count,
        "limit": page.limit,
        "offset": page.offset,
        "has_more": found.has_more,
    }


@router.get(
    "/{escalation_id}",
    response={200: EscalationOut, 401: E, 404: E},
    summary="Rincian eskalasi",
    url_name="get_escalation",
)
def get_escalation(request: HttpRequest, escalation_id: uuid.UUID) -> dict:
    return _out(request, escalation_id, "GET /escalations/{id}")


@router.post(
    "/{escalation_id}/accept",
    response={200: EscalationOut, 401: E, 403: E, 404: E, 409: E},
    summary="Terima tawaran kasus",
    url_name="accept_escalation",
)
def accept_escalation(request: HttpRequest, escalation_id: uuid.UUID) -> dict:
    """403 `not_offered_to_you`; 409 `offer_not_open` (answered, expired, or someone was faster)."""
    user = current_user(request)
    selectors.escalation_require_answerable(user=user, escalation_id=escalation_id)
    services.offer_accept(escalation_id=escalation_id, actor=user)
    return _out(request, escalation_id, "POST /escalations/{id}/accept")


@router.post(
    "/{escalation_id}/decline",
    response={200: EscalationOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Tolak tawaran kasus",
    url_name="decline_escalation",
)
def decline_escalation(request: HttpRequest, escalation_id: uuid.UUID, payload: DeclineIn) -> dict:
    """The next candidate is offered the case, and it leaves the caller's list (later reads: 404).
    403 `not_offered_to_you`; 409 `offer_not_open`."""
    user = current_user(request)
    selectors.escalation_require_answerable(user=user, escalation_id=escalation_id)
    services.offer_decline(escalation_id=escalation_id, actor=user, reason=payload.reason)
    # The decline takes the case out of the caller's view; this response is the last they see of it.
    esc = selectors.escalation_get_after_answer(
        user=user, escalation_id=escalation_id, endpoint="POST /escalations/{id}/decline"
    )
    return escalation_record(user=user, esc=esc)


@router.post(
    "/{escalation_id}/schedule",
    response={200: EscalationOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Jadwalkan janji temu",
    url_name="schedule_escalation",
)
def schedule_escalation(request: HttpRequest, escalation_id: uuid.UUID, payload: ScheduleIn) -> dict:
    """403 `not_assigned_to_you`; 409 `invalid_escalation_status`, or `consent_required` (the client withdrew
    referral or data-collection consent: only closing the case is left); 422 `not_in_future` on appointment_at."""
    user = current_user(request)
    selectors.escalation_require_in_scope(user=user, escalation_id=escalation_id)
    services.escalation_schedule(
        escalation_id=escalation_id,
        actor=user,
        appointment_at=payload.appointment_at,
        version=payload.version,
    )
    return _out(request, escalation_id, "POST /escalations/{id}/schedule")


@router.post(
    "/{escalation_id}/outcome",
    response={200: EscalationOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Catat hasil asesmen",
    url_name="record_escalation_outcome",
)
def record_escalation_outcome(request: HttpRequest, escalation_id: uuid.UUID, payload: OutcomeIn) -> dict:
    """`refer_need` and/or `refer_to_facility_id` start a new escalation (status of this one: referred), whose
    reason is a fixed text, never these notes. 409 `consent_required` once the client withdrew consent."""
    user = current_user(request)
    selectors.escalation_require_in_scope(user=user, escalation_id=escalation_id)
    services.escalation_outcome_record(escalation_id=escalation_id, actor=user, **payload.dict())
    return _out(request, escalation_id, "POST /escalations/{id}/outcome")


@router.post(
    "/{escalation_id}/close",
    response={200: EscalationOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Tutup kasus",
    url_name="close_escalation",
)
def close_escalation(request: HttpRequest, escalation_id: uuid.UUID, payload: CloseIn | None = None) -> dict:
    """Body optional; with `version`, a stale one answers 409 `stale_version` with the current record."""
    user = current_user(request)
    selectors.escalation_require_in_scope(user=user, escalation_id=escalation_id)
    services.escalation_close(
        escalation_id=escalation_id, actor=user, version=payload.version if payload else None
    )
    return _out(request, escalation_id, "POST /escalations/{id}/close")


@router.post(
    "/{escalation_id}/cancel",
    response={200: EscalationOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Batalkan eskalasi (sebelum diterima petugas)",
    url_name="cancel_escalation",
)
def cancel_escalation(request: HttpRequest, escalation_id: uuid.UUID, payload: CancelIn) -> dict:
    """The creator or a coordinator of the area, while no staff member has accepted (consent withdrawn, say):
    the pending offer is withdrawn. 403 `not_allowed_to_cancel`; 409 `escalation_accepted`,
    `invalid_escalation_status` or `stale_version`."""
    user = current_user(request)
    selectors.escalation_require_in_scope(user=user, escalation_id=escalation_id)
    services.escalation_cancel(
        escalation_id=escalation_id,
        actor=user,
        reason=payload.reason,
        version=payload.version,
    )
    return _out(request, escalation_id, "POST /escalations/{id}/cancel")


@router.post(
    "/{escalation_id}/assign",
    response={200: EscalationOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Tugaskan manual (koordinator)",
    url_name="assign_escalation",
)
def assign_escalation(request: HttpRequest, escalation_id: uuid.UUID, payload: AssignIn) -> dict:
    """A coordinator of the area offers the case to a certified staff member of their choice (they must still
    accept). 403 `not_coordinator`; 409 `invalid_escalation_status`, `escalation_busy` (an offer is being
    answered right now) or `stale_version`; 422 `staff_not_eligible`."""
    user = current_user(request)
    selectors.escalation_require_in_scope(user=user, escalation_id=escalation_id)
    services.escalation_assign(
        escalation_id=escalation_id,
        actor=user,
        staff_id=payload.staff_id,
        version=payload.version,
    )
    return _out(request, escalation_id, "POST /escalations/{id}/assign")
