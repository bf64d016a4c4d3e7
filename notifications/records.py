"""What the API and the sync feed show of a notification: one record, built here for both.

A notification is its recipient's alone (access.notification_qs_for chose the rows), and its texts were written
in the recipient's language when it was made, so the record is the row as it is, with `is_read`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from backend.accounts.models import User
from notifications.models import Notification


def notification_records(
    *, user: User | None, notifications: Sequence[Notification]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The notifications' records, by id (no query: everything is on the row)."""
    return {
        n.id: {
            "id": n.id,
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "data": n.data,
            "priority": n.priority,
            "created_at": n.created_at,
            "read_at": n.read_at,
            "is_read": n.read_at is not None,
        }
        for n in notifications
    }
