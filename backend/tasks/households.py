"""Households: clients who share a linked family member (an active ClientFamilyLink to the same FamilyMember).

The client record has no household or family-card number, and an address is free text, so the one honest link
between two clients' homes is a family member linked to both (a mother of two brothers in the programme). A
household is a connected group of such clients, found among a given set of clients only (the caller's tasks):
a key never hints at a client the caller does not hold a task of.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

from django.db import connection

from backend.recovery.models import ClientFamilyLink

# The links of shared members only: members linked (actively) to two or more of the clients, in one scan (an
# active link is unique per client and member: `one_active_family_link`, so the window's count is of clients).
# The ids travel as one array parameter: a province coordinator's open tasks name ~20,000 clients, which as
# `IN (%s, %s, ...)` cost more to send and parse than to answer.
SHARED_LINKS = f"""
    SELECT member_id, client_id FROM (
        SELECT member_id, client_id, count(*) OVER (PARTITION BY member_id) AS clients
        FROM {ClientFamilyLink._meta.db_table}
        WHERE client_id = ANY(%(ids)s) AND unlinked_at IS NULL) AS links
    WHERE clients > 1
    ORDER BY member_id, client_id
"""


def households_of(client_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each client of `client_ids` sharing a linked family member with another of them -> their household's
    key (an opaque string, the same for the whole group: the smallest member shared within it, hashed; stable
    while its links stand); the others are left out. One query."""
    ids = list(set(client_ids))
    if len(ids) < 2:
        return {}
    parent: dict[uuid.UUID, uuid.UUID] = {}

    def find(x: uuid.UUID) -> uuid.UUID:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_client: dict[uuid.UUID, uuid.UUID] = {}  # shared member -> the first of its clients
    with connection.cursor() as cursor:
        cursor.execute(SHARED_LINKS, {"ids": ids})
        links = cursor.fetchall()
    for member_id, client_id in links:
        if member_id in first_client:
            a, b = find(first_client[member_id]), find(client_id)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first_client[member_id] = client_id
            find(client_id)
    members: dict[uuid.UUID, uuid.UUID] = {}  # root -> the smallest shared member (names the household)
    for member_id, client_id in first_client.items():
        root = find(client_id)
        if root not in members or member_id < members[root]:
            members[root] = member_id
    return {
        client_id: "hh-" + hashlib.sha256(str(members[find(client_id)]).encode()).hexdigest()[:12]
        for client_id in parent
    }
