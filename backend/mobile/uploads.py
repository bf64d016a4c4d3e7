"""The batches a phone uploads, each applied once per Idempotency-Key: `POST /sync/visits` and
`POST /sync/contact-attempts`.

Both answer one result per item and a summary; the answer is built inside the batch's transaction and returned
only after it committed, so every item answered `created` (or `updated`) is durable by then, and the reactions
to it (backend/followup, tasks) with it. Items are written only for the clients whose full record the caller
sees (backend.access); any other client is answered `not_found`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from backend.access.policy import client_full_qs_for
from backend.accounts.models import User
from backend.common.errors import ErrorDetail, ValidationFailed
from backend.recovery.contacts import MAX_BATCH as CONTACTS_MAX_BATCH
from backend.recovery.contacts import contact_actor_check, contacts_apply
from backend.recovery.visits.batch import visit_actor_check, visits_apply
from backend.sync.idempotency import idempotency_key_parse, idempotent_run


def _batch_upload(
    *,
    actor: User,
    items: list[Any],
    idempotency_key: str | None,
    actor_check: Callable[..., None],
    max_batch: int,
    too_many: Any,
    field: str,
    apply: Callable[..., Sequence[Any]],
    statuses: tuple[str, ...],
) -> tuple[int, dict[str, Any]]:
    key = idempotency_key_parse(idempotency_key)
    actor_check(actor=actor)
    if len(items) > max_batch:
        message = too_many % {"max": max_batch}
        raise ValidationFailed(
            message, code="batch_too_large", details=[ErrorDetail(field, "too_long", message)]
        )

    def work() -> tuple[int, dict[str, Any]]:
        in_view = client_full_qs_for(user=actor)
        results = [r.as_dict() for r in apply(actor=actor, items=items, clients_in_full_view=in_view)]
        summary = dict.fromkeys(statuses, 0)
        for r in results:
            summary[r["status"]] += 1
        return 200, {"results": results, "summary": summary}

    return idempotent_run(user=actor, key=key, body=items, work=work)


def visits_upload(
    *, actor: User, items: list[Any], idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """`POST /sync/visits`: a batch of visits (created, duplicate, updated or rejected each)."""
    return _batch_upload(
        actor=actor,
        items=items,
        idempotency_key=idempotency_key,
        actor_check=visit_actor_check,
        max_batch=settings.SYNC_VISITS_MAX_BATCH,
        too_many=_("Terlalu banyak kunjungan dalam satu kiriman (maks. %(max)d)."),
        field="visits",
        apply=visits_apply,
        statuses=("created", "duplicate", "updated", "rejected"),
    )


def contact_attempts_upload(
    *, actor: User, items: list[Any], idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """`POST /sync/contact-attempts`: a batch of contact attempts (created, duplicate or rejected each)."""
    return _batch_upload(
        actor=actor,
        items=items,
        idempotency_key=idempotency_key,
        actor_check=contact_actor_check,
        max_batch=CONTACTS_MAX_BATCH,
        too_many=_("Terlalu banyak upaya kontak dalam satu kiriman (maks. %(max)d)."),
        field="attempts",
        apply=contacts_apply,
        statuses=("created", "duplicate", "rejected"),
    )
