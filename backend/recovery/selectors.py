"""Reads of recovery records, always starting from the caller's scope (backend/accounts/access.py).

Who sees which client:
- volunteer: clients assigned to them, and clients living in their village;
- village official: clients of their village;
- counselor / assessor: clients of an escalation they were offered (pending offer: *minimal* data) or that
  they accepted or were assigned (accepted offer or `assigned_to`: the full record);
- facility admin: clients of an escalation whose facility is theirs (full), or that was offered to one of
  their facility's staff (minimal while only offered);
- coordinator: clients living in their area;
- system admin: everyone; anyone else: no one.

Every path is an `id IN (subquery)` so joins never duplicate rows and the list query stays one statement.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import Scope, region_code_q, scope_for
from backend.accounts.models import Role, User
from backend.audit.services import access_log_record, access_log_record_many
from backend.errors import Conflict, ErrorDetail, NotFound, PermissionDenied
from backend.recovery.models import Client, ClientFamilyLink, Consent, FamilyMember, Screening, Visit

AccessLevel = Literal["full", "minimal"]

# Offer statuses that keep a client visible to the staff member offered the case.
_OPEN_OR_ACCEPTED = ("pending", "accepted")


def _escalation_client_ids(q: Q) -> QuerySet:
    from backend.escalations.models import Escalation

    return Escalation.objects.filter(q).values("client_id")


def _full_q(scope: Scope, user: User) -> Q:
    """Paths that give the full record."""
    q = Q(pk__in=[])
    if scope.village_codes:
        q |= Q(village_id__in=scope.village_codes)
    if Role.VOLUNTEER in scope.roles:
        q |= Q(id__in=Client.assigned_volunteers.through.objects.filter(user_id=user.id).values("client_id"))
    if scope.area_codes:
        q |= region_code_q("village__code", scope.area_codes)
    if scope.is_staff_member:
        q |= Q(
            id__in=_escalation_client_ids(
                Q(assigned_to_id=user.id) | Q(offers__staff_id=user.id, offers__status="accepted")
            )
        )
    if scope.admin_facility_ids:
        q |= Q(id__in=_escalation_client_ids(Q(facility_id__in=scope.admin_facility_ids)))
    return q


def _minimal_q(scope: Scope, user: User) -> Q:
    """Paths that give only the minimal view (an open offer, not yet accepted)."""
    q = Q(pk__in=[])
    if scope.is_staff_member:
        q |= Q(
            id__in=_escalation_client_ids(Q(offers__staff_id=user.id, offers__status__in=_OPEN_OR_ACCEPTED))
        )
    if scope.admin_facility_ids:
        # One filter on the same offer row: an offer to their facility that is still open or was accepted. A
        # declined, expired or withdrawn offer shows the client to no one at that facility any more.
        q |= Q(
            id__in=_escalation_client_ids(
                Q(offers__facility_id__in=scope.admin_facility_ids, offers__status__in=_OPEN_OR_ACCEPTED)
            )
        )
    return q


def client_qs_for(*, user: User) -> QuerySet[Client]:
    """Every client `user` may see (full or minimal). Deny by default."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Client.objects.all()
    return Client.objects.filter(_full_q(scope, user) | _minimal_q(scope, user))


def client_qs_with_access_for(*, user: User) -> QuerySet[Client]:
    """`client_qs_for` annotated with `full_access` (bool): False means the minimal view only."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Client.objects.annotate(full_access=Value(True, output_field=BooleanField()))
    return client_qs_for(user=user).annotate(
        full_access=Case(When(_full_q(scope, user), then=Value(True)), default=Value(False))
    )


def client_access_level(*, user: User, client: Client) -> AccessLevel | None:
    """'full', 'minimal' (staff only offered the case: code, sex, birth year, village, need) or None."""
    annotated = getattr(client, "full_access", None)
    if annotated is not None:
        return "full" if annotated else "minimal"
    row = client_qs_with_access_for(user=user).filter(id=client.id).values_list("full_access", flat=True)
    found = list(row)
    if not found:
        return None
    return "full" if found[0] else "minimal"


def client_get_for(*, user: User, client_id: uuid.UUID, endpoint: str, audit: bool = True) -> Client:
    """The client if in `user`'s scope (annotated `full_access`), else NotFound; logs the read.

    `audit=False` is for writes that re-read the record they change (the write itself is the record).
    """
    client = client_qs_with_access_for(user=user).select_related("village").filter(id=client_id).first()
    if client is None:
        raise NotFound(_("Klien tidak ditemukan."), code="client_not_found")
    if audit:
        access_log_record(user=user, client_id=client.id, endpoint=endpoint)
    return client


def client_get_full_for(*, user: User, client_id: uuid.UUID, endpoint: str | None = None) -> Client:
    """A client whose full record the user may see and change; logs the read when `endpoint` is given.

    Out of scope: 404. In scope with the minimal view only (staff merely offered the case): 403
    `full_access_required` -- they know the client exists, so a 404 would hide nothing and only confuse.
    """
    client = client_get_for(user=user, client_id=client_id, endpoint=endpoint or "", audit=False)
    if not client.full_access:  # type: ignore[attr-defined]
        raise PermissionDenied(
            _("Data lengkap klien hanya untuk petugas yang menerima kasus."), code="full_access_required"
        )
    if endpoint:
        access_log_record(user=user, client_id=client.id, endpoint=endpoint)
    return client


def client_get_for_write(*, user: User, client_id: uuid.UUID) -> Client:
    """A client the user may change (full access); writes are not access-logged: the write is its own record."""
    return client_get_full_for(user=user, client_id=client_id)


def consent_in_force(*, client_id: uuid.UUID, scope: str) -> bool:
    """True when the latest consent event of `scope` for the client is a given (not withdrawn) consent."""
    latest = (
        Consent.objects.filter(client_id=client_id, scope=scope)
        .order_by("-recorded_at")
        .values_list("given", flat=True)
        .first()
    )
    return bool(latest)


def consents_in_force(*, client_id: uuid.UUID) -> dict[str, bool]:
    """Every scope -> in force, in one query."""
    from backend.recovery.models import ConsentScope

    state = {s: False for s in ConsentScope.values}
    rows = (
        Consent.objects.filter(client_id=client_id)
        .order_by("scope", "-recorded_at")
        .distinct("scope")
        .values_list("scope", "given")
    )
    state.update({scope: given for scope, given in rows})
    return state


def consent_require(*, client_id: uuid.UUID, scope: str) -> None:
    """Raise 409 `consent_required` (details: the missing scope) unless consent of `scope` is in force.

    409, not 422: the request itself is well-formed; the client's recorded state forbids it until consent is
    recorded, after which the very same request succeeds.
    """
    if not consent_in_force(client_id=client_id, scope=scope):
        raise Conflict(
            _("Persetujuan klien belum ada atau sudah ditarik."),
            code="consent_required",
            details=[
                ErrorDetail(
                    f"consent.{scope}",
                    "consent_required",
                    _("Persetujuan '%(scope)s' diperlukan.") % {"scope": scope},
                )
            ],
            extra={"missing_consent": scope},
        )


def family_contact_allowed(*, client_id: uuid.UUID, member: FamilyMember) -> bool:
    """May anyone contact this family member about this client? They agreed, and contact_family is in force."""
    return bool(member.may_contact) and consent_in_force(client_id=client_id, scope="contact_family")


def family_contact_require(*, client_id: uuid.UUID, member: FamilyMember) -> None:
    """Raise `consent_required` unless the family member may be contacted about the client."""
    consent_require(client_id=client_id, scope="contact_family")
    if not member.may_contact:
        raise Conflict(
            _("Anggota keluarga ini tidak bersedia dihubungi."),
            code="family_contact_not_allowed",
            details=[ErrorDetail("may_contact", "family_contact_not_allowed", _("Tidak boleh dihubungi."))],
        )


def client_family(*, client: Client, contact_allowed: bool | None = None) -> list[dict[str, Any]]:
    """Family members actively linked to the client. A phone number is shown only to those who may use it:
    the member agreed to be contacted and the client's contact_family consent is in force."""
    if contact_allowed is None:
        contact_allowed = consent_in_force(client_id=client.id, scope="contact_family")
    links = (
        ClientFamilyLink.objects.filter(client_id=client.id, unlinked_at__isnull=True)
        .select_related("member")
        .order_by("linked_at")
    )
    return [
        family_member_record(member=link.member, link=link, contact_allowed=contact_allowed) for link in links
    ]


def family_member_record(
    *, member: FamilyMember, link: ClientFamilyLink | None, contact_allowed: bool
) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "relationship": member.relationship,
        "role": member.role,
        "may_contact": member.may_contact,
        "phone": member.phone if (member.may_contact and contact_allowed) else None,
        "linked_at": link.linked_at if link else None,
        "version": member.version,
    }


def _open_offer_for(*, user: User, client_id: uuid.UUID) -> dict[str, Any] | None:
    from backend.escalations.models import Escalation

    scope = scope_for(user)
    esc = (
        Escalation.objects.filter(client_id=client_id)
        .filter(
            Q(offers__staff_id=user.id, offers__status__in=_OPEN_OR_ACCEPTED)
            | Q(offers__facility_id__in=scope.admin_facility_ids, offers__status__in=_OPEN_OR_ACCEPTED)
        )
        .order_by("-created_at")
        .values("id", "need", "urgency", "status")
        .first()
    )
    return esc


def client_record_after_write(*, user: User, client: Client, endpoint: str) -> dict[str, Any]:
    """The full record a write answers with (PATCH, a transition): it shows the record, so the read is logged."""
    access_log_record(user=user, client_id=client.id, endpoint=endpoint)
    return client_record(user=user, client=client, full=True)


def client_record(*, user: User, client: Client, full: bool) -> dict[str, Any]:
    """The client as the API shows it to `user`: the full record, or the minimal view of an offered case."""
    village = {"code": client.village_id, "name": client.village.name}
    if not full:
        return {
            "id": client.id,
            "code": client.code,
            "access": "minimal",
            "sex": client.sex,
            "birth_year": client.birth_year,
            "village": village,
            "escalation": _open_offer_for(user=user, client_id=client.id),
        }
    consents = consents_in_force(client_id=client.id)
    volunteers = list(client.assigned_volunteers.order_by("name").values("id", "name"))
    return {
        "id": client.id,
        "code": client.code,
        "access": "full",
        "name": client.name,
        "sex": client.sex,
        "birth_date": client.birth_date,
        "birth_year": client.birth_year,
        "phone": client.phone or None,
        "village": village,
        "address": client.address,
        "substances": client.substances,
        "nik_last4": client.nik_last4 or None,
        "notes": client.notes,
        "status": client.status,
        "assigned_volunteers": volunteers,
        "family_members": client_family(client=client, contact_allowed=consents["contact_family"]),
        "consents": consents,
        "version": client.version,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def client_list_for(*, user: User, q: str = "", village: str = "", status: str = "") -> QuerySet[Client]:
    """The caller's clients, filtered; `q` matches name (not for minimal-view rows) or code."""
    qs = client_qs_with_access_for(user=user).select_related("village")
    if village:
        qs = qs.filter(region_code_q("village__code", {village}))
    if status:
        qs = qs.filter(status=status)
    if q:
        text = q.strip()
        qs = qs.filter(
            Q(code__iexact=text) | Q(code__istartswith=text) | Q(full_access=True, name__icontains=text)
        )
    return qs.order_by("-created_at", "id")


def client_list_items(*, user: User, clients: list[Client]) -> list[dict[str, Any]]:
    """The rows of a GET /clients page, audit-logged: a fully visible row shows the client's name and status,
    so it is a read of the record (one AccessLog row per such client, in one INSERT). Minimal rows are not."""
    full_ids = [c.id for c in clients if c.full_access]  # type: ignore[attr-defined]
    if full_ids:
        access_log_record_many(user=user, client_ids=full_ids, endpoint="client_list")
    return [client_list_item(client=c) for c in clients]


def client_list_item(*, client: Client) -> dict[str, Any]:
    """A row of GET /clients (client from `client_list_for`: village loaded, `full_access` annotated)."""
    full = bool(client.full_access)  # type: ignore[attr-defined]
    return {
        "id": client.id,
        "code": client.code,
        "access": "full" if full else "minimal",
        "name": client.name if full else None,
        "sex": client.sex,
        "birth_year": client.birth_year,
        "village": {"code": client.village_id, "name": client.village.name},
        "status": client.status if full else None,
        "version": client.version,
    }


def screening_result(*, screening: Screening) -> dict[str, Any]:
    """A stored screening as POST /clients/{id}/screenings answers it (first time and on every resend)."""
    status = Client.objects.filter(id=screening.client_id).values_list("status", flat=True).first()
    return {
        "id": screening.id,
        "client_id": screening.client_id,
        "screened_at": screening.screened_at,
        "substances": screening.scores,
        "highest_risk": screening.highest_risk,
        "action": screening.action,
        "injected_recently": screening.injected_recently,
        "needs_escalation": screening.needs_escalation,
        "escalation": {"id": screening.escalation_id} if screening.escalation_id else None,
        "escalation_blocked_reason": screening.escalation_blocked_reason or None,
        "client_status": status,
    }


def visit_list_for(*, client: Client) -> QuerySet[Visit]:
    """Visits of a client already scope-checked, newest first."""
    return (
        Visit.objects.filter(client_id=client.id)
        .select_related("logged_by")
        .order_by("-occurred_at", "-received_at", "id")
    )


def visit_record(*, visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.id,
        "occurred_at": visit.occurred_at,
        "received_at": visit.received_at,
        "type": visit.type,
        "participants": visit.participants,
        "location": {"lat": visit.location.y, "lon": visit.location.x} if visit.location else None,
        "location_accuracy_m": visit.location_accuracy_m,
        "outcome": visit.outcome,
        "notes": visit.notes,
        "next_visit_on": visit.next_visit_on,
        "screening_id": visit.screening_id,
        "logged_by": {"id": visit.logged_by_id, "name": visit.logged_by.name},
        "version": visit.version,
    }
