"""`POST /sync/contact-attempts`: a batch of contact attempts from a phone, applied once per Idempotency-Key."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.errors import ErrorDetail, ValidationFailed
from backend.recovery.contacts import MAX_BATCH, contact_actor_check, contacts_apply
from backend.sync.idempotency import idempotency_key_parse, idempotent_run


def contact_attempts_upload(
    *, actor: User, items: list[Any], idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """A batch of attempts, one result per item (created, duplicate or rejected), once per Idempotency-Key.

    The answer is built inside the batch's transaction and returned after it committed: every attempt answered
    `created` is durable by then, and the reactions to it (backend/followup) with it.
    """
    key = idempotency_key_parse(idempotency_key)
    contact_actor_check(actor=actor)
    if len(items) > MAX_BATCH:
        message = _("Terlalu banyak upaya kontak dalam satu kiriman (maks. %(max)d).") % {"max": MAX_BATCH}
        raise ValidationFailed(
            message, code="batch_too_large", details=[ErrorDetail("attempts", "too_long", message)]
        )

    def work() -> tuple[int, dict[str, Any]]:
        results = [a.as_dict() for a in contacts_apply(actor=actor, items=items)]
        summary = {s: 0 for s in ("created", "duplicate", "rejected")}
        for r in results:
            summary[r["status"]] += 1
        return 200, {"results": results, "summary": summary}

    return idempotent_run(user=actor, key=key, body=items, work=work)
