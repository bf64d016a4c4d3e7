"""Reads of clients and their family, from the caller's scope (the rules: backend/access/policy.py).

Every read of a client starts here: the scoped lookups (404 out of scope, 403 where only the minimal view of an
offered case is in scope), the list, and the records the API and the sync feed show (`client_records`,
`family_member_records`: the access level comes from backend.access, the shape from backend/recovery/records.py).
A read of a client's full record is audit-logged. The answers a write gives that depend on who asks (the current
record of a stale edit, whether a duplicate names the existing client) are built here too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.access.policy import (
    client_full_qs_for,
    client_qs_for,
    client_qs_with_access_for,
    client_withdrawn_qs_for,
    client_writable_qs_for,
    contact_attempt_qs_for,
    correction_qs_for,
    escalation_qs_for,
    offers_in_view_q,
    region_code_q,
    scope_for,
    visit_qs_for,
)
from backend.accounts.models import User
from backend.audit.services import access_log_record, access_log_record_many
from backend.common.errors import (
    Conflict,
    ConsentWithdrawnError,
    DomainError,
    DuplicateClient,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from backend.followup.summary import follow_up_summaries
from backend.recovery.duplicates import duplicate_answer_register
from backend.recovery.lifecycle import ClientStatus
from backend.recovery.models import Client, ClientCorrection, ContactAttempt, FamilyMember, Visit
from backend.recovery.records import client_list_item, client_records_at, family_member_records_through

logger = logging.getLogger(__name__)


# --- scoped lookups ---------------------------------------------------------------------------------------------


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
    """A client the user may change (full access); writes are not access-logged: the write is its own record.
    A client who withdrew data-collection consent answers 409 `consent_withdrawn` to whoever would otherwise
    change it (their phone may not have synced the `leave` yet). One query where the client may be changed; the
    answers of a refusal (404, 403 minimal view only, 409) come from the reads below."""
    writable = client_writable_qs_for(user=user).select_related("village").defer("village__boundary")
    client = writable.filter(id=client_id).first()  # the village's boundary (a polygon) read only if used
    if client is not None:
        client.full_access = True  # type: ignore[attr-defined]
    else:
        client = client_get_for_consent(user=user, client_id=client_id)
    if client.consent_withdrawn_at is not None:
        raise ConsentWithdrawnError()
    return client


def client_get_for_consent(*, user: User, client_id: uuid.UUID) -> Client:
    """`client_get_for_write` that lets the area's coordinators (who still see a client who withdrew consent)
    record a new consent: the one write that opens the record again (recovery/consents.py decides which)."""
    try:
        return client_get_full_for(user=user, client_id=client_id)
    except NotFound:
        if client_withdrawn_qs_for(user=user).filter(id=client_id).exists():
            raise ConsentWithdrawnError() from None
        raise


def access_client_for_update(*, user: User, client_id: uuid.UUID) -> Client:
    """The client, row-locked, if `user` may change its full record (404 out of scope, 403 minimal view only).
    Call inside a transaction: the lock orders the caller's write with consent events and transitions."""
    client_get_for_write(user=user, client_id=client_id)
    return Client.objects.select_for_update().select_related("village").get(id=client_id)


FOLLOW_UP_FILTERS = ("overdue", "lost")


def client_list_for(
    *, user: User, q: str = "", village: str = "", status: str = "", follow_up: str = ""
) -> QuerySet[Client]:
    """The caller's clients, filtered, annotated `follow_up_level` (0-3); `q` matches name (not for minimal-view
    rows) or code. `follow_up`: `overdue`, clients in a follow-up episode (level 1-3: the next contact is overdue
    and someone holds a task to make it); `lost`, clients in `lost_contact`. Both only among rows the caller
    sees in full (the minimal view shows no status)."""
    qs = client_qs_with_access_for(user=user).select_related("village")
    qs = qs.annotate(follow_up_level=Coalesce("followup_state__tier", 0))
    if follow_up == "overdue":
        # On the state's own column (not the COALESCE): an inner join the partial index followup_tier_idx
        # serves, where the COALESCE made PostgreSQL join every state of the country (a province: 330 ms).
        qs = qs.filter(full_access=True, followup_state__tier__gt=0)
    elif follow_up == "lost":
        qs = qs.filter(full_access=True, status=ClientStatus.LOST_CONTACT)
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


def visit_list_for(*, user: User, client: Client) -> QuerySet[Visit]:
    """The visits of a client (whose full record the caller checked `user` sees), from `user`'s scope
    (access.visit_qs_for), newest first."""
    return (
        visit_qs_for(user=user)
        .filter(client_id=client.id)
        .select_related("logged_by")
        .order_by("-occurred_at", "-received_at", "id")
    )


def correction_list_for(*, user: User, client: Client) -> QuerySet[ClientCorrection]:
    """The correction history of a client (whose full record the caller checked `user` sees), from `user`'s
    scope (access.correction_qs_for), newest first."""
    return (
        correction_qs_for(user=user)
        .filter(client_id=client.id)
        .select_related("actor")
        .order_by("-at", "field", "id")
    )


def contact_attempt_list_for(*, user: User, client: Client) -> QuerySet[ContactAttempt]:
    """The contact attempts for a client (whose full record the caller checked `user` sees), from `user`'s scope
    (access.contact_attempt_qs_for), newest first."""
    return contact_attempt_qs_for(user=user).filter(client_id=client.id).order_by("-occurred_at", "id")


# --- records ----------------------------------------------------------------------------------------------------


def _full_levels(*, user: User, clients: Sequence[Client]) -> dict[uuid.UUID, bool]:
    """client id -> full record? From the `full_access` annotation, else one query; out of scope: absent."""
    annotated = {c.id: getattr(c, "full_access", None) for c in clients}
    levels = {cid: bool(full) for cid, full in annotated.items() if full is not None}
    if missing := [c.id for c in clients if c.id not in levels]:
        levels.update(
            client_qs_with_access_for(user=user).filter(id__in=missing).values_list("id", "full_access")
        )
    return levels


def _offered_cases(*, user: User, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The minimal view's reason to exist: per client, the newest case offered in view of `user` (one query;
    the rule is access.offered_escalation_qs_for's, for many clients at once)."""
    if not client_ids:
        return {}
    rows = (
        escalation_qs_for(user=user)
        .filter(offers_in_view_q(scope_for(user), user, prefix="offers__"), client_id__in=client_ids)
        .order_by("client_id", "-created_at")
        .distinct("client_id")
        .values("client_id", "id", "need", "urgency", "status")
    )
    return {row.pop("client_id"): row for row in rows}


def _with_follow_up(records: dict[uuid.UUID, dict[str, Any]]) -> dict[uuid.UUID, dict[str, Any]]:
    """A full record shows where the client stands in the follow-up ladder (backend/followup/summary.py); the
    minimal view does not."""
    full = [cid for cid, r in records.items() if r["access"] == "full"]
    for cid, summary in follow_up_summaries(client_ids=full, now=timezone.now()).items():
        records[cid]["follow_up"] = summary
    return records


def client_records(*, user: User, clients: Sequence[Client]) -> dict[uuid.UUID, dict[str, Any]]:
    """The clients as `user` may see them, by id: the full record, or the minimal view of an offered case
    (the row's `full_access` annotation from backend.access, read when absent; a client out of scope is left
    out). Six queries at most, whatever the number of clients."""
    levels = _full_levels(user=user, clients=clients)
    shown = [c for c in clients if c.id in levels]
    offered = _offered_cases(user=user, client_ids=[c.id for c in shown if not levels[c.id]])
    return _with_follow_up(client_records_at(clients=shown, levels=levels, offered=offered))


def client_record(*, user: User, client: Client, full: bool) -> dict[str, Any]:
    """One client's record at the access level the caller established (`client_records` on one row)."""
    offered = {} if full else _offered_cases(user=user, client_ids=[client.id])
    records = client_records_at(clients=[client], levels={client.id: full}, offered=offered)
    return _with_follow_up(records)[client.id]


def client_record_after_write(*, user: User, client: Client, endpoint: str) -> dict[str, Any]:
    """The full record a write answers with (PATCH, a transition): it shows the record, so the read is logged."""
    access_log_record(user=user, client_id=client.id, endpoint=endpoint)
    return client_record(user=user, client=client, full=True)


def client_list_items(*, user: User, clients: list[Client]) -> list[dict[str, Any]]:
    """The rows of a GET /clients page, audit-logged: a fully visible row shows the client's name and status,
    so it is a read of the record (one AccessLog row per such client, in one INSERT). Minimal rows are not."""
    full_ids = [c.id for c in clients if c.full_access]  # type: ignore[attr-defined]
    if full_ids:
        access_log_record_many(user=user, client_ids=full_ids, endpoint="client_list")
    items = [client_list_item(client=c) for c in clients]
    for item, c in zip(items, clients, strict=True):
        item["follow_up_level"] = c.follow_up_level if c.full_access else None  # type: ignore[attr-defined]
    return items


def family_member_records(
    *,
    user: User,
    members: Sequence[FamilyMember],
    through: QuerySet | Iterable[uuid.UUID] | None = None,
) -> dict[uuid.UUID, dict[str, Any]]:
    """The family members as `user` may see them, by id, seen through the clients `through` (ids or a values
    queryset; default: every client whose full record `user` sees). Two queries, whatever the number."""
    if through is None:
        through = client_full_qs_for(user=user).values("id")
    return family_member_records_through(members=members, through=through)


# --- answers of writes that depend on who asks ------------------------------------------------------------------


def client_stale_answer(*, user: User, client_id: uuid.UUID, endpoint: str) -> dict[str, Any]:
    """The current record a 409 `stale_version` of a client edit carries (the caller may change the client, so
    they see its full record): a read of it, logged."""
    client = Client.objects.select_related("village").get(id=client_id)
    return client_record_after_write(user=user, client=client, endpoint=endpoint)


def duplicate_answer(*, user: User, duplicate: DuplicateClient) -> DomainError:
    """409 naming the existing client when the caller may see it; else 409 with `existing: null` (and 429 once
    the caller has had too many of those: each tells that a NIK is in the programme)."""
    if client_qs_for(user=user).filter(id=duplicate.existing_id).exists():
        return Conflict(
            _("Klien ini sudah terdaftar."),
            code="duplicate_client",
            extra={"existing": {"id": str(duplicate.existing_id), "code": duplicate.existing_code}},
        )
    logger.warning(
        "duplicate_client outside the caller's scope: user=%s existing_client=%s existing_village=%s",
        user.id,
        duplicate.existing_id,
        duplicate.existing_village,
    )
    try:
        duplicate_answer_register(user_id=user.id)
    except RateLimited as exc:
        return exc
    return Conflict(
        _("NIK ini sudah terdaftar di luar wilayah Anda. Hubungi koordinator BNN Anda."),
        code="duplicate_client",
        extra={"existing": None},
    )
