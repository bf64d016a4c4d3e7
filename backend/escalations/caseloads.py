"""A staff member's open caseload: escalations assigned to them and not finished (`ACTIVE_STATUSES`), plus their
pending offers. One SQL expression, read by routing's statements for every post they weigh and, alone, by the
re-check made under the person's row lock before an offer (services/routing_flow.staff_lock_with_room) and by
an assignment by hand. Two index-only counts (escalation_assignee_idx, offer_staff_status_idx), prepared once
per connection (backend/common/prepared.py): no ORM compile on the request path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from backend.accounts.models import User
from backend.common.prepared import fetch_prepared
from backend.escalations.models import ACTIVE_STATUSES, OfferStatus

_ACTIVE = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)


def caseload_sql(user_id: str) -> str:
    """The caseload of the user whose id is the SQL expression `user_id` (a column, or a parameter)."""
    return (
        f"((SELECT count(*) FROM escalations_escalation e WHERE e.assigned_to_id = {user_id} "
        f"AND e.status IN ({_ACTIVE})) + (SELECT count(*) FROM escalations_offer o "
        f"WHERE o.staff_id = {user_id} AND o.status = '{OfferStatus.PENDING}'))"
    )


_ONE = f"SELECT {caseload_sql('%(user)s::uuid')}"
_MANY = f"SELECT u::text, {caseload_sql('u')} FROM unnest(%(users)s::uuid[]) AS u"


def caseload_of(*, user_id: Any) -> int:
    """One person's open caseload, read afresh (after their row was locked, it counts what committed meanwhile)."""
    return int(fetch_prepared(_ONE, {"user": str(user_id)})[0][0])


def caseloads(*, user_ids: Iterable[Any]) -> dict[str, int]:
    """Open caseloads by user id (as str); one statement whatever the number."""
    ids = [uuid.UUID(str(u)) for u in user_ids]
    if not ids:
        return {}
    return {user: int(n) for user, n in fetch_prepared(_MANY, {"users": ids})}


_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
_LOCK = (
    f"SELECT {', '.join(User._meta.get_field(f).column for f in _USER_FIELDS)} FROM accounts_user "
    "WHERE id = %(user)s::uuid FOR UPDATE"
)


def staff_lock(*, user_id: Any) -> User | None:
    """The staff member's row, locked to the end of the transaction (or the savepoint), read whole."""
    rows = fetch_prepared(_LOCK, {"user": str(user_id)})
    return User.from_db("default", _USER_FIELDS, rows[0]) if rows else None
