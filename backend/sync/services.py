"""Writes to the change log. Call inside the transaction that changes the row, so both commit or neither."""

from __future__ import annotations

import uuid

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
