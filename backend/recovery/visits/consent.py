"""Consent in force for many clients in one query: the visit batch and the sync feed judge hundreds at once.

The rule is recovery.selectors.consent_in_force's (the latest event of a scope is a given consent), read for
a whole set of clients instead of one query per client.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models.expressions import RawSQL

from backend.recovery.models import Consent


def consents_in_force_many(
    *, client_ids: Iterable[uuid.UUID], scopes: Iterable[str]
) -> set[tuple[uuid.UUID, str]]:
    """The (client_id, scope) pairs whose latest consent event is given, for the clients and scopes asked."""
    ids, wanted = list(client_ids), list(scopes)
    if not ids or not wanted:
        return set()
    rows = (
        Consent.objects.filter(client_id__in=RawSQL("SELECT unnest(%s::uuid[])", [ids]), scope__in=wanted)
        .order_by("client_id", "scope", "-recorded_at")
        .distinct("client_id", "scope")
        .values_list("client_id", "scope", "given")
    )
    return {(cid, scope) for cid, scope, given in rows if given}
