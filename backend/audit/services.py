"""Writes to the access log: who read which client's record, when, through which endpoint.

Append-only by construction: this module only inserts, nothing in the API updates or deletes AccessLog rows,
and the Django admin shows them read-only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from backend.accounts.models import User
from backend.audit.models import AccessLog


def access_log_record(*, user: User, client_id: uuid.UUID, endpoint: str) -> AccessLog:
    """One read of one client's record by `user` through `endpoint` (e.g. "GET /clients/{id}")."""
    return AccessLog.objects.create(user=user, client_id=client_id, endpoint=endpoint[:80])


def access_log_record_many(*, user: User, client_ids: Iterable[uuid.UUID], endpoint: str) -> int:
    """One row per client read (never fewer), in one INSERT, for reads that return many records at once (a sync
    page). The rows of one call share their time and `request_id`: one request's reads, told apart by client.

    One statement with the ids as one array parameter: no model object per row (a sync page reads up to a few
    hundred clients, and building the rows cost more than inserting them)."""
    ids = list(dict.fromkeys(client_ids))
    if not ids:
        return 0
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(AccessLog._meta.db_table)} (user_id, client_id, endpoint, at, request_id) "
            "SELECT %s, c, %s, %s, %s FROM unnest(%s::uuid[]) AS c",
            [user.id, endpoint[:80], timezone.now(), uuid.uuid4(), ids],
        )
    return len(ids)
