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

from backend.recovery.models import ClientFamilyLink


def households_of(client_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each client of `client_ids` sharing a linked family member with another of them -> their household's
    key (an opaque string, the same for the whole group, stable while its links stand); the others are left
    out. One query."""
    ids = set(client_ids)
    if len(ids) < 2:
        return {}
    parent: dict[uuid.UUID, uuid.UUID] = {}

    def find(x: uuid.UUID) -> uuid.UUID:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_client: dict[uuid.UUID, uuid.UUID] = {}  # member -> the first client seen linked to them
    links = ClientFamilyLink.objects.filter(client_id__in=ids, unlinked_at__isnull=True)
    for member_id, client_id in links.order_by("member_id", "client_id").values_list(
        "member_id", "client_id"
    ):
        if member_id in first_client:
            a, b = find(first_client[member_id]), find(client_id)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first_client[member_id] = client_id
            find(client_id)
    groups: dict[uuid.UUID, list[uuid.UUID]] = {}
    for client_id in parent:
        groups.setdefault(find(client_id), []).append(client_id)
    members: dict[uuid.UUID, uuid.UUID] = {}  # root -> the smallest shared member (names the household)
    for member_id, client_id in first_client.items():
        root = find(client_id)
        if len(groups[root]) > 1 and (root not in members or member_id < members[root]):
            members[root] = member_id
    return {
        client_id: "hh-" + hashlib.sha256(str(members[root]).encode()).hexdigest()[:12]
        for root, clients in groups.items()
        if len(clients) > 1
        for client_id in clients
    }
