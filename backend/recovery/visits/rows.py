"""The rows of the visit write path (backend/recovery/visits/batch.py): a cleaned item as the INSERT's JSON row
and as the stored visit the batch's event carries, the one-statement insert, and the stored visits a batch is
compared with. Nothing here builds a GEOS geometry: the point travels as EWKT text, parsed by PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models.expressions import RawSQL

from backend.accounts.models import User
from backend.recovery.models import Visit
from backend.recovery.visits.rules import VisitData


def ewkt(d: VisitData) -> str | None:
    """The visit's point as EWKT text, what PostgreSQL parses (no GEOS object built only to be printed)."""
    return f"SRID=4326;POINT({d.longitude!r} {d.latitude!r})" if d.latitude is not None else None


def visit_row(d: VisitData, actor: User, now: datetime) -> Visit:
    """An edit's new values as a visit (the conditional UPDATE takes its fields). The location stays EWKT text:
    GeoDjango turns it into a geometry when the UPDATE reads it."""
    return Visit(
        id=d.id,
        client_id=d.client_id,
        logged_by_id=actor.id,
        occurred_at=d.occurred_at,
        received_at=now,
        type=d.type,
        participants=d.participants,
        location=ewkt(d),
        location_accuracy_m=d.location_accuracy_m,
        outcome=d.outcome,
        notes=d.notes,
        next_visit_on=d.next_visit_on,
        screening_id=d.screening_id,
        payload_hash=d.payload_hash,
        version=1,
        updated_at=now,
    )


# Column -> SQL type of the recordset the batch is inserted from.
COLUMNS = {
    "id": "uuid",
    "client_id": "uuid",
    "logged_by_id": "uuid",
    "occurred_at": "timestamptz",
    "received_at": "timestamptz",
    "type": "text",
    "participants": "jsonb",
    "location": "text",
    "location_accuracy_m": "float8",
    "outcome": "text",
    "notes": "text",
    "next_visit_on": "date",
    "screening_id": "uuid",
    "payload_hash": "text",
    "version": "int",
    "updated_at": "timestamptz",
}
COLUMN_NAMES = list(COLUMNS)


def visit_stored(d: VisitData, actor: User, now: datetime) -> Visit:
    """A visit just inserted, as loaded from the database (`from_db`: positional, half the cost of `Visit(...)`):
    the inserted columns (`COLUMNS`) set, any other field deferred (read from the row if something asks)."""
    values = (
        d.id,
        d.client_id,
        actor.id,
        d.occurred_at,
        now,
        d.type,
        d.participants,
        ewkt(d),  # EWKT text: GeoDjango builds the geometry only if it is read
        d.location_accuracy_m,
        d.outcome,
        d.notes,
        d.next_visit_on,
        d.screening_id,
        d.payload_hash,
        1,
        now,
    )
    return Visit.from_db(DEFAULT_DB_ALIAS, COLUMN_NAMES, values)


def insert_row(d: VisitData, actor_id: str, now: str) -> dict[str, Any]:
    """One row of the insert's JSON parameter, straight from the cleaned item (keys: `COLUMNS`)."""
    return {
        "id": str(d.id),
        "client_id": str(d.client_id),
        "logged_by_id": actor_id,
        "occurred_at": d.occurred_at.isoformat(),
        "received_at": now,
        "type": d.type,
        "participants": d.participants,
        "location": ewkt(d),
        "location_accuracy_m": d.location_accuracy_m,
        "outcome": d.outcome,
        "notes": d.notes,
        "next_visit_on": d.next_visit_on.isoformat() if d.next_visit_on else None,
        "screening_id": str(d.screening_id) if d.screening_id else None,
        "payload_hash": d.payload_hash,
        "version": 1,
        "updated_at": now,
    }


def rows_insert(rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """`INSERT ... SELECT FROM jsonb_to_recordset(one parameter) ON CONFLICT DO NOTHING RETURNING id`.

    One JSON parameter rather than 16 per row: psycopg parses a query's placeholders on the client, and 8,000
    of them cost more than the insert itself. No conflict target: a taken id and a taken screening both make a
    row quietly not inserted (and not returned).
    """
    q = connection.ops.quote_name
    # Rows in id order: two batches carrying the same visits in another order lock them in the same order,
    # so they wait for each other instead of deadlocking.
    payload = json.dumps(sorted(rows, key=lambda r: r["id"]))
    select = ", ".join("ST_GeogFromText(r.location)" if c == "location" else f"r.{q(c)}" for c in COLUMNS)
    sql = (
        f"INSERT INTO {q(Visit._meta.db_table)} ({', '.join(q(c) for c in COLUMNS)}) "
        f"SELECT {select} FROM jsonb_to_recordset(%s::jsonb) AS r("
        + ", ".join(f"{q(c)} {t}" for c, t in COLUMNS.items())
        + ") ON CONFLICT DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])
        return {row[0] for row in cursor.fetchall()}


class StoredVisit(NamedTuple):
    """What the batch compares an item with: the stored visit's owner, content hash and version."""

    id: uuid.UUID
    client_id: uuid.UUID
    logged_by_id: uuid.UUID
    payload_hash: str
    version: int


def visits_by_id(ids: list[uuid.UUID]) -> dict[uuid.UUID, StoredVisit]:
    """Stored visits by id, the ids passed as one array parameter (see `rows_insert` on placeholders). Five
    columns, not the model: a resent batch compares hashes, and building 500 visits (and their points) cost
    more than the query."""
    if not ids:
        return {}
    array = RawSQL("SELECT unnest(%s::uuid[])", [ids])
    rows = Visit.objects.filter(id__in=array).values_list(*StoredVisit._fields)
    return {row[0]: StoredVisit(*row) for row in rows}
