"""Reads of recovery records, always starting from the caller's scope (the rules: backend/access/policy.py).

What the API shows of a client is records.py.
"""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from backend.access import client_qs_with_access_for, region_code_q
from backend.accounts.models import User
from backend.audit.services import access_log_record
from backend.errors import Conflict, ErrorDetail, NotFound, PermissionDenied
from backend.recovery.models import Client, Consent, ConsentScope, FamilyMember, Visit


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


def access_client_for_update(*, user: User, client_id: uuid.UUID) -> Client:
    """The client, row-locked, if `user` may change its full record (404 out of scope, 403 minimal view only).
    Call inside a transaction: the lock orders the caller's write with consent events and transitions."""
    client_get_for_write(user=user, client_id=client_id)
    return Client.objects.select_for_update().select_related("village").get(id=client_id)


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


def visit_list_for(*, client: Client) -> QuerySet[Visit]:
    """Visits of a client already scope-checked, newest first."""
    return (
        Visit.objects.filter(client_id=client.id)
        .select_related("logged_by")
        .order_by("-occurred_at", "-received_at", "id")
    )
