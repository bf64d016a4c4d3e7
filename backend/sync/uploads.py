"""`POST /sync/visits`: a batch of visits from a phone, applied once per Idempotency-Key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.errors import ErrorDetail, ValidationFailed
from backend.recovery.visits import visit_actor_check, visits_apply
from backend.sync.idempotency import idempotency_key_parse, idempotent_run


def visits_upload(
    *, actor: User, items: list[Any], idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """`POST /sync/visits`: a batch of visits, one result per item, once per Idempotency-Key.

    The response is built inside the batch's transaction and returned only after it committed: every visit
    answered `created` or `updated` is durable by then.
    """
    key = idempotency_key_parse(idempotency_key)
    visit_actor_check(actor=actor)
    if len(items) > settings.SYNC_VISITS_MAX_BATCH:
        message = _("Terlalu banyak kunjungan dalam satu kiriman (maks. %(max)d).") % {
            "max": settings.SYNC_VISITS_MAX_BATCH
        }
        raise ValidationFailed(
            message, code="batch_too_large", details=[ErrorDetail("visits", "too_long", message)]
        )

    def work() -> tuple[int, dict[str, Any]]:
        results = [r.as_dict() for r in visits_apply(actor=actor, items=items)]
        summary = {s: 0 for s in ("created", "duplicate", "updated", "rejected")}
        for r in results:
            summary[r["status"]] += 1
        return 200, {"results": results, "summary": summary}

    return idempotent_run(user=actor, key=key, body=items, work=work)
