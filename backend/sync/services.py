"""Writes to the change log. Call inside the transaction that changes the row, so both commit or neither."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.errors import ErrorDetail, ValidationFailed
from backend.sync.models import ChangeLog


def change_record(
    *,
    entity: str,
    entity_id: uuid.UUID,
    op: str = "upsert",
    village_code: str = "",
    client_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> None:
    """Append one change. `village_code`/`client_id`/`user_id` say who may see it (see sync selectors)."""
    ChangeLog.objects.create(
        entity=entity,
        entity_id=entity_id,
        op=op,
        village_code=village_code,
        client_id=client_id,
        user_id=user_id,
    )


def change_record_many(
    *, entity: str, rows: list[tuple[uuid.UUID, str, uuid.UUID | None]], op: str = "upsert"
) -> None:
    """Append one change per (entity_id, village_code, client_id) in one INSERT (batch writers, e.g. visits).

    The rows travel as one JSON parameter: psycopg parses placeholders on the client, thousands cost dearly.
    """
    if not rows:
        return
    payload = json.dumps(
        [{"e": str(eid), "v": village or "", "c": str(cid) if cid else None} for eid, village, cid in rows]
    )
    table = connection.ops.quote_name(ChangeLog._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (entity, entity_id, op, village_code, client_id, at) "
            "SELECT %s, r.e, %s, r.v, r.c, %s FROM jsonb_to_recordset(%s::jsonb) AS r(e uuid, v text, c uuid)",
            [entity, op, timezone.now(), payload],
        )


def visits_upload(*, actor: Any, items: list[Any], idempotency_key: str | None) -> tuple[int, dict[str, Any]]:
    """`POST /sync/visits`: a batch of visits, one result per item, once per Idempotency-Key.

    The response is built inside the batch's transaction and returned only after it committed: every visit
    answered `created` or `updated` is durable by then.
    """
    from backend.recovery.visits import visit_actor_check, visits_apply
    from backend.sync.idempotency import idempotency_key_parse, idempotent_run

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


def sync_scope_reset(*, user_id: uuid.UUID) -> None:
    """Tell the user's phone to drop its whole offline set and sync from the start.

    For a change of what the user may see that no entity's change log row describes: a role assignment ended,
    deactivated or moved to other villages. The feed answers the row with one item
    `{"entity": "scope", "op": "reset"}` and a first sync's cursor. Call it inside the transaction that changes
    the assignment (no signal: the accounts service calls it).
    """
    change_record(entity="scope", entity_id=user_id, op="reset", user_id=user_id)
