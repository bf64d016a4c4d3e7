"""Writes to the access log: who read which client's record, when, through which endpoint.

Append-only by construction: this module only inserts, nothing in the API updates or deletes AccessLog rows,
and the Django admin shows them read-only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from backend.accounts.models import User
from backend.audit.models import AccessLog


def access_log_record(*, user: User, client_id: uuid.UUID, endpoint: str) -> AccessLog:
    """One read of one client's record by `user` through `endpoint` (e.g. "GET /clients/{id}")."""
    return AccessLog.objects.create(user=user, client_id=client_id, endpoint=endpoint[:80])


def access_log_record_many(*, user: User, client_ids: Iterable[uuid.UUID], endpoint: str) -> int:
    """One row per client, in one INSERT (for reads that return many records at once, e.g. a sync page)."""
    rows = [AccessLog(user=user, client_id=cid, endpoint=endpoint[:80]) for cid in dict.fromkeys(client_ids)]
    AccessLog.objects.bulk_create(rows)
    return len(rows)
