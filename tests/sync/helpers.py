"""Set-up helpers for the sync tests: clients, family members and visit payloads."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from backend.accounts.models import User
from backend.recovery.models import Client, ClientFamilyLink, Consent, FamilyMember
from backend.sync.changelog import change_record

_codes = itertools.count(1)


DEFAULT_CONSENTS = ("data_collection", "contact_family")


def make_client(
    *,
    village: str,
    by: User,
    name: str = "Klien Uji",
    status: str = "community_recovery",
    consents: tuple[str, ...] = DEFAULT_CONSENTS,
) -> Client:
    """A client with the consents a visit needs (data collection; contacting the family) unless told otherwise."""
    n = next(_codes)
    client = Client.objects.create(
        code=f"TST-2026-{n:05d}-{uuid.uuid4().hex[:4]}",
        name=f"{name} {n}",
        name_normalized=f"{name.lower()} {n}",
        sex="male",
        birth_year=1995,
        village_id=village,
        status=status,
        registered_by=by,
    )
    Consent.objects.bulk_create(
        Consent(client=client, scope=scope, given=True, given_by="client", recorded_by=by)
        for scope in consents
    )
    change_record(entity="client", entity_id=client.id, village_code=village, client_id=client.id)
    return client


def make_member(
    *, client: Client, by: User, name: str = "Ibu Klien", phone: str = "", may_contact: bool = True
) -> FamilyMember:
    member = FamilyMember.objects.create(
        name=name,
        relationship="ibu",
        village_id=client.village_id,
        created_by=by,
        may_contact=may_contact,
        phone=phone,
    )
    ClientFamilyLink.objects.create(client=client, member=member, linked_by=by)
    return member


def visit_payload(client: Client, **overrides: Any) -> dict[str, Any]:
    occurred: datetime = timezone.localtime(timezone.now() - timedelta(hours=2))
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "client_id": str(client.id),
        "occurred_at": occurred.isoformat(),
        "type": "home_visit",
        "participants": ["client"],
        "latitude": -1.92137,
        "longitude": 113.44706,
        "location_accuracy_m": 12.5,
        "outcome": "stabil",
        "notes": "Klien di rumah, keluarga mendukung.",
        "next_visit_on": (occurred.date() + timedelta(days=7)).isoformat(),
    }
    body.update(overrides)
    return body


def upload(api: Any, user: User, visits: list[dict[str, Any]], key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Idempotency-Key": key} if key else None
    return api.as_(user).post("/sync/visits", {"visits": visits}, headers=headers)


def drain(  # type: ignore[no-untyped-def]
    api: Any, user: User, cursor: str | None = None, limit: int = 200, until=None, timeout: float = 60.0
) -> tuple[list[dict[str, Any]], str, int]:
    """Read the feed until has_more is false (and `until(items)` holds, polling): (items, cursor, pages).

    Polling is needed only in transactional tests: the feed serves a change once every transaction older than
    it has finished, and other sessions on the same PostgreSQL cluster (other test databases) count too.
    """
    import time

    items: list[dict[str, Any]] = []
    pages = 0
    deadline = time.monotonic() + timeout
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.as_(user).get("/sync/changes", **params)
        assert response.status_code == 200, response.content
        body = response.json()
        pages += 1
        items += body["items"]
        cursor = body["next_cursor"]
        if body["has_more"]:
            continue
        if until is None or until(items) or time.monotonic() > deadline:
            return items, cursor, pages  # type: ignore[return-value]
        time.sleep(0.2)


def ids_of(items: list[dict[str, Any]], entity: str, op: str | None = "upsert") -> list[str]:
    """Ids of `entity` items with `op` (None: whatever the op, e.g. to catch a `leave` that names an id)."""
    return [i["id"] for i in items if i["entity"] == entity and (op is None or i["op"] == op)]


def settle(timeout: float = 30.0) -> None:
    """Wait until every change logged so far is below the feed's horizon (transactional tests only).

    A first sync's snapshot shows a change whose transaction is already committed, and the log replays it
    again if its txid is at or above the horizon, which other sessions of the shared cluster can hold back:
    a test that asserts exactly what a cursor serves next settles first, so set-up rows are not replayed then.
    """
    import time

    from django.db import connection
    from django.db.models import Max

    from backend.sync.models import ChangeLog

    newest = ChangeLog.objects.aggregate(m=Max("txid"))["m"]
    if newest is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            if cursor.fetchone()[0] > newest:
                return
        time.sleep(0.1)
