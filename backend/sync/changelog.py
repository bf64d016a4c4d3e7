"""Writes to the change log behind `GET /sync/changes`: a leaf every domain writes to.

Call inside the transaction that changes the row, so both commit or neither. This module imports no domain:
recovery, escalations, tasks and notifications all import it.
"""

from __future__ import annotations

import json
import uuid

from django.db import connection
from django.utils import timezone

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
    """Append one change. `village_code`/`client_id`/`user_id` say who may see it (access.change_log_scope_q)."""
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


def change_record_addressed(
    *, entity: str, rows: list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]], op: str = "upsert"
) -> None:
    """Append one change per (entity_id, client_id, user_id) in one INSERT: rows addressed to a user (their tasks,
    their notifications), written by the hundred by a daily sweep. One JSON parameter, as change_record_many."""
    if not rows:
        return
    payload = json.dumps(
        [
            {"e": str(eid), "c": str(cid) if cid else None, "u": str(uid) if uid else None}
            for eid, cid, uid in rows
        ]
    )
    table = connection.ops.quote_name(ChangeLog._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (entity, entity_id, op, village_code, client_id, user_id, at) "
            "SELECT %s, r.e, %s, '', r.c, r.u, %s FROM jsonb_to_recordset(%s::jsonb) AS r(e uuid, c uuid, u uuid)",
            [entity, op, timezone.now(), payload],
        )


def sync_scope_reset(*, user_id: uuid.UUID) -> None:
    """Tell the user's phone to drop its whole offline set and sync from the start.

    For a change of what the user may see that no entity's change log row describes: a role assignment ended,
    deactivated or moved to other villages. The feed answers the row with one item
    `{"entity": "scope", "op": "reset"}` and a first sync's cursor. Call it inside the transaction that changes
    the assignment (no signal: the accounts service calls it).
    """
    change_record(entity="scope", entity_id=user_id, op="reset", user_id=user_id)
