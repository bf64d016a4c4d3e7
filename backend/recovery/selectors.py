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
from typing import Literal

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import Scope, region_code_q, scope_for
from backend.accounts.models import Role, User
from backend.audit.services import access_log_record
from backend.errors import Conflict, ErrorDetail, NotFound
from backend.recovery.models import Client, Consent, FamilyMember

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
        q |= region_code_q("village_id", scope.area_codes)
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
        q |= Q(id__in=_escalation_client_ids(Q(offers__facility_id__in=scope.admin_facility_ids)))
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


def client_get_for_write(*, user: User, client_id: uuid.UUID) -> Client:
    """A client the user may change: in scope with the full record (staff only offered a case may not write)."""
    client = client_get_for(user=user, client_id=client_id, endpoint="write", audit=False)
    if not client.full_access:  # type: ignore[attr-defined]
        raise NotFound(_("Klien tidak ditemukan."), code="client_not_found")
    return client


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
