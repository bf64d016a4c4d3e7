"""Reads of escalations, always from the caller's scope (the rules: backend/access/policy.py).

Every read that returns escalations writes the access log (one row per client, escalation_records.
escalation_list_items): they carry the client's code and health free text. The escalation services take cases
their callers checked here first (`escalation_require_in_scope`, `escalation_require_answerable`: 404 out of
scope), and a stale step's 409 is answered with the record as the caller sees it (`escalation_stale_answer`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from backend.access.policy import escalation_qs_for, with_case_view
from backend.accounts.models import User
from backend.audit.services import access_log_record
from backend.common.errors import NotFound
from backend.escalations.models import Escalation, Offer
from backend.reads.escalation_records import escalation_record
from backend.reads.paging import Page, ids_page, in_order


def _with_relations(qs: QuerySet[Escalation]) -> QuerySet[Escalation]:
    return qs.select_related("client", "assigned_to", "facility").prefetch_related(
        Prefetch("offers", queryset=Offer.objects.select_related("facility").order_by("offered_at"))
    )


def escalation_list(*, user: User, status: str | None = None) -> QuerySet[Escalation]:
    """The caller's escalations, newest first (ids and order: a page's rows come from escalation_page)."""
    qs = escalation_qs_for(user=user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "id")


def escalation_page(*, user: User, status: str | None, offset: int, limit: int) -> Page:
    """A page of escalation_list with the rows' relations and the viewer's `full_view` (paging.py)."""
    picked = ids_page(escalation_list(user=user, status=status), offset=offset, limit=limit)
    rows = list(_with_viewer(_with_relations(Escalation.objects.filter(id__in=picked.ids)), user=user))
    return Page(items=in_order(rows, picked.ids), count=picked.count, has_more=picked.has_more)


def _with_viewer(qs: QuerySet[Escalation], *, user: User) -> QuerySet[Escalation]:
    """Annotate `full_view` (access.case_visible_q) in the same statement: lists need it for every row."""
    return with_case_view(qs, user=user)


def escalation_get_for(*, user: User, escalation_id: uuid.UUID, endpoint: str | None = None) -> Escalation:
    """The escalation if in `user`'s scope, else 404; with `endpoint`, the read is access-logged."""
    esc = (
        _with_viewer(_with_relations(escalation_qs_for(user=user)), user=user)
        .filter(id=escalation_id)
        .first()
    )
    if esc is None:
        raise NotFound(_("Eskalasi tidak ditemukan."), code="escalation_not_found")
    if endpoint:
        access_log_record(user=user, client_id=esc.client_id, endpoint=endpoint)
    return esc


def escalation_get_after_answer(
    *, user: User, escalation_id: uuid.UUID, endpoint: str | None = None
) -> Escalation:
    """The case as it stands right after `user` answered their offer: a decline takes it out of their scope,
    yet the decline's own response still shows it once (their offer, now declined; no routing)."""
    qs = Escalation.objects.filter(
        Q(id__in=escalation_qs_for(user=user).values("id")) | Q(offers__staff_id=user.id)
    )
    esc = _with_viewer(_with_relations(qs.filter(id=escalation_id).distinct()), user=user).first()
    if esc is None:
        raise NotFound(_("Eskalasi tidak ditemukan."), code="escalation_not_found")
    if endpoint:
        access_log_record(user=user, client_id=esc.client_id, endpoint=endpoint)
    return esc


def escalation_require_in_scope(*, user: User, escalation_id: uuid.UUID) -> None:
    """404 `escalation_not_found` unless `user` may see the case: the check before an escalation service acts."""
    if not escalation_qs_for(user=user).filter(id=escalation_id).exists():
        raise NotFound(_("Eskalasi tidak ditemukan."), code="escalation_not_found")


def escalation_require_answerable(*, user: User, escalation_id: uuid.UUID) -> None:
    """The check before answering an offer: someone who was ever offered the case may answer (a late answer then
    gets 409 `offer_not_open`, which tells their phone why better than a 404: they know of the case already,
    though a declined or expired offer no longer keeps it in their scope); anyone else needs it in scope."""
    if not Offer.objects.filter(escalation_id=escalation_id, staff_id=user.id).exists():
        escalation_require_in_scope(user=user, escalation_id=escalation_id)


def escalation_stale_answer(*, user: User, escalation_id: uuid.UUID) -> dict[str, Any]:
    """The record a 409 `stale_version` of an escalation step carries: the case as `user` may see it now."""
    return escalation_record(user=user, esc=escalation_get_for(user=user, escalation_id=escalation_id))
