"""Contact attempts: a try to reach a client (call, home visit, through the family or the village official,
message) with a coded result, made on the phone, often offline, and uploaded like visits (POST /sync/contact-
attempts). An attempt is a fact, never edited. The write path is the visits' (visits/batch.py), for batches
of up to 500 and for two copies of one batch arriving at the same moment:
1. every item is cleaned in plain Python (`contact_clean`) under the visits' time rules (visits/rules.py);
2. scope (clients whose full record the caller sees), data_collection consents and attempts already stored are
   read for the whole batch in a handful of queries;
3. new attempts go in with one `INSERT ... ON CONFLICT DO NOTHING RETURNING id`: a row another request
   inserted first is re-read and answered `duplicate` (same content) or rejected `id_conflict`;
4. the clients' `last_contact_at` moves to their latest `reached` attempt (one UPDATE), each attempt gets a
   change log row, and `ContactAttemptsLogged` is published (the reactions live in backend/followup).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.accounts.scope import scope_for
from backend.common.errors import ErrorDetail, PermissionDenied
from backend.common.events import publish
from backend.recovery.batches import batch_clean
from backend.recovery.events import ContactAttemptsLogged
from backend.recovery.models import (
    Client,
    ConsentScope,
    ContactAttempt,
    ContactChannel,
    ContactResult,
    clients_seen,
)
from backend.recovery.visits.consent import consents_in_force_many
from backend.recovery.visits.rules import FIELD_ROLES, FUTURE_TOLERANCE, MAX_AGE, text_storable
from backend.sync.changelog import change_record_many

MAX_BATCH = 500
MAX_NOTE = 280
DATA_COLLECTION, REACHED = ConsentScope.DATA_COLLECTION, ContactResult.REACHED


@dataclass
class ContactData:
    """One attempt as cleaned by `contact_clean` (the field names are the model's)."""

    id: uuid.UUID
    client_id: uuid.UUID
    occurred_at: datetime  # in UTC
    channel: str
    result: str
    note: str
    payload_hash: str = ""  # sha256 of the fields above as canonical JSON: a resend is recognised


@dataclass
class AttemptAnswer:
    """The answer to one uploaded attempt: created | duplicate | rejected (with its error)."""

    index: int
    id: str | None
    status: str
    error: dict[str, Any] | None = None
    data: ContactData | None = field(default=None, repr=False)

    def reject(
        self, code: str, message: Any, field_name: str, details: list[ErrorDetail] | None = None
    ) -> None:
        self.status = "rejected"
        details = details or [ErrorDetail(field_name, code, str(message))]
        self.error = {"code": code, "message": str(message), "field": field_name}
        self.error["details"] = [d.as_dict() for d in details]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "id": self.id, "status": self.status}
        return out | ({"error": self.error} if self.error is not None else {})


def _uuid(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _occurred_at(raw: Any, now: datetime, bad: Any) -> datetime | None:
    """The device's time: with a zone, at most 10 minutes ahead, not older than VISIT_MAX_AGE_DAYS."""
    try:
        value = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None:
        code = "missing" if raw is None else "invalid"
        bad("occurred_at", code, _("Waktu upaya kontak wajib diisi (ISO 8601)."))
    elif value.tzinfo is None:
        bad("occurred_at", "timezone_required", _("Waktu upaya kontak harus menyertakan zona waktu."))
    elif value > now + FUTURE_TOLERANCE:
        bad("occurred_at", "in_future", _("Waktu upaya kontak ada di masa depan: periksa jam perangkat."))
    elif value < now - MAX_AGE:
        bad("occurred_at", "too_old", _("Waktu upaya kontak terlalu lama: periksa jam perangkat."))
    else:
        return value.astimezone(UTC)
    return None


def contact_clean(*, data: Any, now: datetime) -> tuple[ContactData | None, list[ErrorDetail]]:
    """Check one uploaded attempt: (cleaned data, []) or (None, the problems by field). Types are strict: a
    number is no text, a boolean no number."""
    if not isinstance(data, dict):
        return None, [ErrorDetail("body", "invalid_type", _("Setiap upaya kontak harus berupa objek."))]
    errs: list[ErrorDetail] = []
    bad = lambda f, c, m: errs.append(ErrorDetail(f, c, str(m)))  # noqa: E731
    ids = {name: _uuid(data.get(name)) for name in ("id", "client_id")}
    for name in (n for n, value in ids.items() if value is None):
        bad(
            name, "missing" if data.get(name) is None else "invalid_uuid", _("UUID wajib diisi dengan benar.")
        )
    occurred_at = _occurred_at(data.get("occurred_at"), now, bad)
    channel, result, note = data.get("channel"), data.get("result"), data.get("note")
    note = "" if note is None else note
    if not isinstance(channel, str) or channel not in ContactChannel.values:
        bad("channel", "invalid_choice", _("Saluran upaya kontak tidak dikenal."))
    if not isinstance(result, str) or result not in ContactResult.values:
        bad("result", "invalid_choice", _("Hasil upaya kontak tidak dikenal."))
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        bad(
            "note",
            "too_long" if isinstance(note, str) else "invalid_type",
            _("Catatan singkat: teks, paling banyak 280 karakter."),
        )
    elif not text_storable(note):
        bad("note", "invalid_character", _("Teks berisi karakter yang tidak diizinkan."))
    if errs:
        return None, errs
    cleaned = ContactData(ids["id"], ids["client_id"], occurred_at, channel, result, note.strip())  # type: ignore
    canonical = json.dumps(
        asdict(cleaned), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    cleaned.payload_hash = hashlib.sha256(canonical.encode()).hexdigest()
    return cleaned, []


def contact_actor_check(*, actor: User) -> None:
    """Contact attempts are logged by volunteers and village officials only, like visits."""
    if not scope_for(actor).roles & FIELD_ROLES:
        message = _("Hanya agen pemulihan dan aparatur desa yang mencatat upaya kontak.")
        raise PermissionDenied(message, code="not_a_field_worker")


def _ids(ids: list[uuid.UUID]) -> RawSQL:
    """Many ids as one array parameter (psycopg parses placeholders on the client: thousands cost dearly)."""
    return RawSQL("SELECT unnest(%s::uuid[])", [ids])


def contacts_apply(
    *, actor: User, items: list[Any], clients_in_full_view: QuerySet[Client]
) -> list[AttemptAnswer]:
    """Apply a batch of uploaded attempts; one answer per item, in order. Runs in one transaction (the caller's,
    if any); a rejected item never stops the others. `clients_in_full_view`: the clients `actor` may log
    attempts for (the caller's access.client_full_qs_for); any other is answered `not_found`."""
    contact_actor_check(actor=actor)
    now = timezone.now()
    answers, firsts = _clean_all(items, now)
    todo = [a for a in firsts if a.status == "pending"]
    client_ids = list({a.data.client_id for a in todo})  # type: ignore[union-attr]
    in_scope = clients_in_full_view.filter(id__in=_ids(client_ids)).values_list("id", "village_id")
    clients: dict[uuid.UUID, str] = dict(in_scope) if client_ids else {}
    consents = consents_in_force_many(client_ids=clients, scopes=[DATA_COLLECTION])
    stored = _stored([a.data.id for a in todo])  # type: ignore[union-attr]
    inserts = []
    for a in todo:
        d: ContactData = a.data  # type: ignore[assignment]
        if d.client_id not in clients:  # out of scope and unknown answer alike: existence is never revealed
            a.reject("not_found", _("Klien tidak ditemukan."), "client_id")
        elif d.id in stored:
            _answer_stored(a, stored[d.id], clients)
        elif (d.client_id, DATA_COLLECTION) not in consents:
            message = _("Persetujuan pengumpulan data dari klien belum ada atau sudah ditarik.")
            a.reject("consent_required", message, "client_id")
        else:
            inserts.append(a)
    with transaction.atomic():
        created = _insert(inserts, actor, now)
        lost = [a for a in inserts if a.status == "pending"]  # stored first by a concurrent request
        now_stored = _stored([a.data.id for a in lost])  # type: ignore[union-attr]
        for a in lost:
            _answer_stored(a, now_stored[a.data.id], clients)  # type: ignore[union-attr]
        if created:
            clients_seen(contacts=[(c.client_id, c.occurred_at) for c in created if c.result == REACHED])
            rows = [(c.id, clients[c.client_id], c.client_id) for c in created]
            change_record_many(entity="contact_attempt", rows=rows)
            publish(ContactAttemptsLogged(attempts=tuple(created), logged_by_id=actor.id))
    _copy_repeats(answers)
    return answers


def _clean_all(items: list[Any], now: datetime) -> tuple[list[AttemptAnswer], list[AttemptAnswer]]:
    return batch_clean(
        items,
        now,
        clean=contact_clean,
        answer=AttemptAnswer,
        invalid_message=_("Data upaya kontak tidak valid."),
    )


def _stored(ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Stored attempts by id: (client id, payload hash)."""
    rows = ContactAttempt.objects.filter(id__in=_ids(ids)).values_list("id", "client_id", "payload_hash")
    return {i: (c, h) for i, c, h in rows} if ids else {}


def _answer_stored(a: AttemptAnswer, found: tuple[uuid.UUID, str], clients: dict[uuid.UUID, str]) -> None:
    """An id already stored: the same attempt again (`duplicate`), or another one (`id_conflict`)."""
    client_id, payload_hash = found
    if client_id not in clients:
        a.reject("not_found", _("Upaya kontak tidak ditemukan."), "id")
    elif payload_hash == a.data.payload_hash:  # type: ignore[union-attr]
        a.status = "duplicate"
    else:
        a.reject("id_conflict", _("Id upaya kontak sudah dipakai untuk data lain."), "id")


# Column -> SQL type of the recordset the batch is inserted from.
_COLUMNS = dict(
    pair.split()
    for pair in "id uuid, client_id uuid, logged_by_id uuid, occurred_at timestamptz, received_at timestamptz, "
    "channel text, result text, note text, payload_hash text".split(", ")
)


def _insert_rows(rows: list[ContactAttempt]) -> set[uuid.UUID]:
    """`INSERT ... SELECT FROM jsonb_to_recordset(one parameter) ON CONFLICT DO NOTHING RETURNING id`, rows in
    id order (two batches with the same attempts lock them in the same order, instead of deadlocking)."""
    q = connection.ops.quote_name
    values = [{c: getattr(r, c) for c in _COLUMNS} for r in sorted(rows, key=lambda r: r.id)]
    columns = ", ".join(q(c) for c in _COLUMNS)
    recordset = ", ".join(f"{q(c)} {t}" for c, t in _COLUMNS.items())
    sql = (
        f"INSERT INTO {q(ContactAttempt._meta.db_table)} ({columns}) SELECT {columns} "
        f"FROM jsonb_to_recordset(%s::jsonb) AS r({recordset}) ON CONFLICT DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [json.dumps(values, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))]
        )
        return {row[0] for row in cursor.fetchall()}


def _insert(inserts: list[AttemptAnswer], actor: User, now: datetime) -> list[ContactAttempt]:
    """Insert the new attempts in one statement; the created rows. An item whose row another request stored
    first stays `pending` (the caller answers it)."""
    rows = {
        a.data.id: ContactAttempt(**asdict(a.data), logged_by_id=actor.id, received_at=now)  # type: ignore[union-attr,arg-type]
        for a in inserts
    }
    # Every value was cleaned: only a client erased since the scope read fails the insert (the request then
    # fails whole, and its retry answers that client's attempts `not_found`).
    inserted = _insert_rows(list(rows.values())) if rows else set()
    created = []
    for a in (a for a in inserts if a.status == "pending" and a.data.id in inserted):  # type: ignore[union-attr]
        a.status, row = "created", rows[a.data.id]  # type: ignore[union-attr]
        row._state.adding, row._state.db = False, "default"
        created.append(row)
    return created


def _copy_repeats(answers: list[AttemptAnswer]) -> None:
    """An id sent twice in one batch: the same content answers like the first (created: duplicate), other
    content is an id_conflict."""
    first: dict[uuid.UUID, AttemptAnswer] = {}
    for a in (a for a in answers if a.data is not None):
        f = first.setdefault(a.data.id, a)  # type: ignore[union-attr]
        if a.status != "repeat":
            continue
        if f.data.payload_hash != a.data.payload_hash:  # type: ignore[union-attr]
            a.reject("id_conflict", _("Id upaya kontak sudah dipakai untuk data lain."), "id")
        elif f.status in ("created", "duplicate"):
            a.status = "duplicate"
        else:
            a.status, a.error = f.status, f.error
