"""Clients, their families, consent, lifecycle, ASSIST screenings, visits and timeline (backend/recovery).

Every handler starts from the caller's scope (backend/recovery/selectors.py): a client outside it answers 404
exactly as a missing one does, on reads and writes alike. Staff only offered a case see the minimal view and
get 403 `full_access_required` for anything more.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from api.auth import current_user
from api.pagination import PageParams, paginate
from api.schemas.accounts import ErrorOut
from api.schemas.clients import (
    ClientCreateIn,
    ClientListParams,
    ClientOut,
    ClientPageOut,
    ClientPatchIn,
    ConsentIn,
    ConsentOut,
    CorrectionPageOut,
    DuplicateClientOut,
    FamilyMemberIn,
    FamilyMemberOut,
    FamilyMemberPatchIn,
    ScreeningIn,
    ScreeningOut,
    StaleClientOut,
    StaleFamilyMemberOut,
    TimelinePageOut,
    TransitionIn,
    VisitPageOut,
)
from api.schemas.contacts import ContactAttemptPageOut
from api.schemas.privacy import ErasureBlockedOut, ErasureIn, ErasureOut
from backend.access.policy import client_full_qs_for
from backend.escalations.services import client_status_change
from backend.reads.clients import (
    client_get_for,
    client_get_for_consent,
    client_get_for_write,
    client_get_full_for,
    client_list_for,
    client_list_items,
    client_record,
    client_record_after_write,
    client_records,
    contact_attempt_list_for,
    correction_list_for,
    family_member_records,
    visit_list_for,
)
from backend.reads.paging import narrow_page
from backend.reads.privacy import client_erase_for
from backend.reads.subject_access import subject_access_json, subject_access_record
from backend.reads.timeline import timeline_page
from backend.recovery.consents import consent_record
from backend.recovery.family import family_member_link, family_member_unlink, family_member_update
from backend.recovery.records import (
    contact_attempt_records,
    correction_records,
    screening_result,
    visit_records,
)
from backend.recovery.screenings import screening_record
from backend.recovery.selectors import consents_in_force
from backend.recovery.services import client_create, client_update
from backend.reports.exports import CONTENT_TYPES
from backend.reports.subject_access import subject_access_xlsx

router = Router()
E = ErrorOut


@router.post(
    "",
    response={201: ClientOut, 401: E, 403: E, 409: DuplicateClientOut, 422: E, 429: E},
    summary="Daftarkan klien",
    url_name="create_client",
)
def create_client(request: HttpRequest, payload: ClientCreateIn) -> Status:
    """403 `registration_not_allowed`; 409 `duplicate_client` (same NIK, or name + birth year + village;
    `existing` is null when that client is outside your scope); 429 `rate_limited` after too many of those;
    422 `validation_error` / `invalid_nik` / `guardian_consent_required` with the field at fault."""
    user = current_user(request)
    data = payload.dict(exclude={"consents"})
    client = client_create(actor=user, **data, consents=[c.dict() for c in payload.consents])
    return Status(201, client_record(user=user, client=client, full=True))


@router.get(
    "", response={200: ClientPageOut, 401: E, 422: E}, summary="Daftar klien", url_name="list_clients"
)
def list_clients(
    request: HttpRequest, filters: Query[ClientListParams], page: Query[PageParams]
) -> dict[str, Any]:
    """The caller's clients, newest first; `q` matches the name or the code; `follow_up=overdue|lost` the
    clients the follow-up ladder holds or lost. Rows shown in full are audit-logged (endpoint `client_list`)."""
    user = current_user(request)
    qs = client_list_for(
        user=user,
        q=filters.q,
        village=filters.village,
        status=filters.status,
        follow_up=filters.follow_up or "",
    )
    found = narrow_page(qs, offset=page.offset, limit=page.limit)
    return {
        "items": client_list_items(user=user, clients=found.items),
        "count": found.count,
        "limit": page.limit,
        "offset": page.offset,
        "has_more": found.has_more,
    }


@router.get(
    "/{client_id}",
    response={200: ClientOut, 401: E, 404: E, 422: E},
    summary="Rincian klien",
    url_name="get_client",
)
def get_client(request: HttpRequest, client_id: uuid.UUID) -> dict[str, Any]:
    """Audit-logged. Staff only offered the case get the minimal view (`access: minimal`)."""
    user = current_user(request)
    client = client_get_for(user=user, client_id=client_id, endpoint="GET /clients/{id}")
    return client_records(user=user, clients=[client])[client.id]


@router.patch(
    "/{client_id}",
    response={
        200: ClientOut,
        401: E,
        403: E,
        404: E,
        409: StaleClientOut | DuplicateClientOut | E,
        422: E,
        429: E,
    },
    summary="Ubah data klien",
    url_name="update_client",
)
def update_client(request: HttpRequest, client_id: uuid.UUID, payload: ClientPatchIn) -> dict[str, Any]:
    """Only the fields sent change; `nik: null` removes the NIK. Every change is kept in the correction history
    with `reason` (422 `reason_required` for name, sex, birth date/year or NIK without one). 409 `stale_version` with `current` (the record
    as it is now), `duplicate_client`, or `consent_withdrawn` (the client withdrew data-collection consent); 422 `nik_sex_mismatch` on `sex` when the stored NIK says otherwise."""
    user = current_user(request)
    changes = payload.dict(exclude_unset=True, exclude={"version", "reason"})
    client_get_for_write(user=user, client_id=client_id)
    client = client_update(
        actor=user, client_id=client_id, version=payload.version, changes=changes, reason=payload.reason
    )
    return client_record_after_write(user=user, client=client, endpoint="PATCH /clients/{id}")


@router.post(
    "/{client_id}/family-members",
    response={200: FamilyMemberOut, 201: FamilyMemberOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Tambah atau hubungkan anggota keluarga",
    url_name="link_family_member",
)
def link_family_member(request: HttpRequest, client_id: uuid.UUID, payload: FamilyMemberIn) -> Status:
    """201 when linked now, 200 when it already was (a retried upload). An existing member's id links it."""
    user = current_user(request)
    client = client_get_for_write(user=user, client_id=client_id)
    fields = payload.dict(exclude={"id"})
    member, _link, created = family_member_link(
        actor=user,
        client=client,
        member_id=payload.id,
        fields=fields,
        clients_in_full_view=client_full_qs_for(user=user),
    )
    record = family_member_records(user=user, members=[member], through=[client.id])[member.id]
    return Status(201 if created else 200, record)


@router.patch(
    "/{client_id}/family-members/{member_id}",
    response={200: FamilyMemberOut, 401: E, 403: E, 404: E, 409: StaleFamilyMemberOut | E, 422: E},
    summary="Ubah data anggota keluarga",
    url_name="update_family_member",
)
def update_family_member(
    request: HttpRequest, client_id: uuid.UUID, member_id: uuid.UUID, payload: FamilyMemberPatchIn
) -> dict[str, Any]:
    """Only the fields sent change. 404 when the member is not linked to this client; 409 `stale_version`
    with `current` (the member as it is now)."""
    user = current_user(request)
    client = client_get_for_write(user=user, client_id=client_id)
    changes = payload.dict(exclude_unset=True, exclude={"version", "reason"})
    member, _link = family_member_update(
        actor=user,
        client=client,
        member_id=member_id,
        version=payload.version,
        changes=changes,
        reason=payload.reason,
    )
    return family_member_records(user=user, members=[member], through=[client.id])[member.id]


@router.delete(
    "/{client_id}/family-members/{member_id}",
    response={204: None, 401: E, 403: E, 404: E, 409: E},
    summary="Lepaskan anggota keluarga",
    url_name="unlink_family_member",
)
def unlink_family_member(request: HttpRequest, client_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponse:
    """The link is ended, not deleted: it stays in the timeline."""
    user = current_user(request)
    client = client_get_for_write(user=user, client_id=client_id)
    family_member_unlink(actor=user, client=client, member_id=member_id)
    return HttpResponse(status=204)


@router.post(
    "/{client_id}/consents",
    response={201: ConsentOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Catat persetujuan (diberikan atau ditarik)",
    url_name="record_consent",
)
def record_consent(request: HttpRequest, client_id: uuid.UUID, payload: ConsentIn) -> Status:
    """422 `guardian_consent_required` for a minor without a linked guardian. Withdrawing `data_collection`
    stops all processing: the client leaves every phone and every scope but the area coordinators'; after it
    every write answers 409 `consent_withdrawn`, and only a coordinator recording `data_collection` given again
    opens the record."""
    user = current_user(request)
    client = client_get_for_consent(user=user, client_id=client_id)
    consent = consent_record(actor=user, client=client, **payload.dict())
    body = {**consent.__dict__, "in_force": consents_in_force(client_id=client.id)}
    return Status(201, body)


@router.post(
    "/{client_id}/transitions",
    response={200: ClientOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Ubah status klien",
    url_name="transition_client",
)
def transition_client(request: HttpRequest, client_id: uuid.UUID, payload: TransitionIn) -> dict[str, Any]:
    """422 `invalid_transition` (details list the statuses allowed next). Escalated and the treatment statuses
    need referral consent (409 `consent_required`); escalated by hand also a case a staff member took (409
    `escalation_required`: otherwise start an escalation)."""
    user = current_user(request)
    client_get_for_write(user=user, client_id=client_id)
    client = client_status_change(
        actor=user, client_id=client_id, to_status=payload.to, reason=payload.reason
    )
    return client_record_after_write(user=user, client=client, endpoint="POST /clients/{id}/transitions")


@router.post(
    "/{client_id}/screenings",
    response={200: ScreeningOut, 201: ScreeningOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Skrining ASSIST v3.0",
    url_name="record_screening",
)
def record_screening(request: HttpRequest, client_id: uuid.UUID, payload: ScreeningIn) -> Status:
    """409 `consent_required` (details: consent.data_collection) or `id_conflict`; 422 `invalid_assist_answers`
    naming each field at fault (`answers.cannabis.q3`). 200 for a resend of a stored screening."""
    user = current_user(request)
    client = client_get_for_write(user=user, client_id=client_id)
    screening, created = screening_record(
        actor=user,
        client=client,
        screening_id=payload.id,
        answers=payload.answers,
        q8=payload.q8,
        screened_at=payload.screened_at,
    )
    return Status(201 if created else 200, screening_result(screening=screening))


@router.get(
    "/{client_id}/contact-attempts",
    response={200: ContactAttemptPageOut, 401: E, 403: E, 404: E, 422: E},
    summary="Upaya kontak klien (terbaru dahulu)",
    url_name="list_client_contact_attempts",
)
def list_client_contact_attempts(
    request: HttpRequest, client_id: uuid.UUID, page: Query[PageParams]
) -> dict[str, Any]:
    """Every attempt to reach the client, whoever made it (the follow-up's history). Audit-logged."""
    user = current_user(request)
    endpoint = "GET /clients/{id}/contact-attempts"
    client = client_get_full_for(user=user, client_id=client_id, endpoint=endpoint)
    result = paginate(contact_attempt_list_for(user=user, client=client), page)
    result["items"] = list(contact_attempt_records(attempts=result["items"]).values())
    return result


@router.get(
    "/{client_id}/visits",
    response={200: VisitPageOut, 401: E, 403: E, 404: E, 422: E},
    summary="Kunjungan klien (terbaru dahulu)",
    url_name="list_client_visits",
)
def list_client_visits(request: HttpRequest, client_id: uuid.UUID, page: Query[PageParams]) -> dict[str, Any]:
    """Audit-logged."""
    user = current_user(request)
    client = client_get_full_for(user=user, client_id=client_id, endpoint="GET /clients/{id}/visits")
    result = paginate(visit_list_for(user=user, client=client), page)
    result["items"] = [r.value() for r in visit_records(user=user, visits=result["items"]).values()]
    return result


@router.get(
    "/{client_id}/timeline",
    response={200: TimelinePageOut, 401: E, 403: E, 404: E, 422: E},
    summary="Riwayat klien",
    url_name="client_timeline",
)
def client_timeline(
    request: HttpRequest,
    client_id: uuid.UUID,
    page: Query[PageParams],
    order: Literal["desc", "asc"] = "desc",
) -> dict[str, Any]:
    """Visits, screenings, status changes, escalations and accepted offers, family links, consents. Audit-logged."""
    user = current_user(request)
    client = client_get_full_for(user=user, client_id=client_id, endpoint="GET /clients/{id}/timeline")
    return timeline_page(
        user=user, client_id=client.id, limit=page.limit, offset=page.offset, newest_first=order == "desc"
    )


@router.get(
    "/{client_id}/corrections",
    response={200: CorrectionPageOut, 401: E, 403: E, 404: E, 422: E},
    summary="Riwayat perbaikan data klien (terbaru dahulu)",
    url_name="list_client_corrections",
)
def list_client_corrections(
    request: HttpRequest, client_id: uuid.UUID, page: Query[PageParams]
) -> dict[str, Any]:
    """Every field changed in the client's record or a linked family member's: old and new value, who, when,
    why. For those who see the full record. Audit-logged."""
    user = current_user(request)
    endpoint = "GET /clients/{id}/corrections"
    client = client_get_full_for(user=user, client_id=client_id, endpoint=endpoint)
    result = paginate(correction_list_for(user=user, client=client), page)
    result["items"] = correction_records(corrections=result["items"])
    return result


@router.post(
    "/{client_id}/erasure",
    response={200: ErasureOut, 401: E, 403: E, 404: E, 409: ErasureBlockedOut | E, 422: E},
    summary="Hapus data pribadi klien (atas permintaan yang sah)",
    url_name="erase_client",
)
def erase_client(request: HttpRequest, client_id: uuid.UUID, payload: ErasureIn) -> dict[str, Any]:
    """UU 27/2022 art. 43: name, phone, address, NIK, notes, free text, family members only this client had
    are removed; the anonymous row stays for past reports. Coordinators of the client's area and system admins
    (403 `coordinator_required`). 409 `erasure_blocked` with `holds` (open_case, in_treatment, retention_period
    and its end), `client_erased` when done already. Recorded in the erasure log."""
    log = client_erase_for(user=current_user(request), client_id=client_id, **payload.dict())
    return {**log.__dict__, "erased_by": log.erased_by_id}


@router.get(
    "/{client_id}/export",
    response={200: None, 401: E, 403: E, 404: E, 422: E},
    summary="Salinan data lengkap klien (hak akses subjek data)",
    url_name="export_client",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Unduhan: JSON atau XLSX",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def export_client(
    request: HttpRequest, client_id: uuid.UUID, format: Literal["json", "xlsx"] = "json"
) -> HttpResponse:
    """The client's complete record for their own request (UU 27/2022): the client, family links, consents,
    status history, correction history, screenings, visits, contact attempts, escalations and outcomes, tasks, and the access log
    (who read the record, when). A download. Coordinators of the client's area and system admins only (403
    `coordinator_required` for other roles who see the client, 404 out of scope); the export is access-logged."""
    record = subject_access_record(user=current_user(request), client_id=client_id)
    if format == "xlsx":
        response = HttpResponse(subject_access_xlsx(record=record), content_type=CONTENT_TYPES["xlsx"])
    else:
        response = HttpResponse(subject_access_json(record), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="pulih-{record["code"]}.{format}"'
    return response
