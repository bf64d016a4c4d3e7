"""Support visits: the rules a visit must meet, and the one write path behind `POST /sync/visits`.

Visits are made on phones, often offline, and uploaded later in batches; the phone makes the id (a UUID), so a
retried upload is recognised. The write path is built for batches of up to 500 and for two copies of one batch
arriving at the same moment:

1. every item is checked in plain Python (`visit_clean`): no query per item;
2. the caller's scope, the clients, their family links, the screenings and the visits already stored are read
   for the whole batch in a handful of queries;
3. new visits go in with one `INSERT ... ON CONFLICT DO NOTHING RETURNING id`: a row another request inserted
   first is simply not returned, and is then re-read and answered as `duplicate` (same content) or rejected as
   `id_conflict`; nothing is created twice and no unique violation reaches the request;
4. an edit (same id, the stored `version`, other content) is a conditional UPDATE on (id, version): of two
   concurrent edits of one version exactly one wins, the other is answered `stale_version` with the record.

`payload_hash` is the sha256 of the item's canonical JSON (cleaned values, without `version`), so a resent item
is recognised whatever order its keys or participants came in.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import scope_for
from backend.accounts.models import Role, User
from backend.errors import Conflict, ErrorDetail, NotFound, PermissionDenied, ValidationFailed
from backend.recovery.models import ClientFamilyLink, Screening, Visit, VisitType
from backend.sync.services import change_record_many

# A phone's clock may run a little ahead; more than this is a wrong clock, not a visit.
FUTURE_TOLERANCE = timedelta(minutes=10)
# A phone may stay offline for weeks, not for years: older is a wrong clock or a wrong record.
MAX_AGE = timedelta(days=getattr(settings, "VISIT_MAX_AGE_DAYS", 400))
MAX_PARTICIPANTS = 20
MAX_NOTES = 4000
MAX_OUTCOME = 40
MAX_NEXT_VISIT_DAYS = 366

FIELD_ROLES = frozenset({Role.VOLUNTEER, Role.VILLAGE_OFFICIAL})


@dataclass
class VisitData:
    """One visit as cleaned by `visit_clean`."""

    id: uuid.UUID
    client_id: uuid.UUID
    occurred_at: datetime
    type: str
    participants: list[str]
    latitude: float | None
    longitude: float | None
    location_accuracy_m: float | None
    outcome: str
    notes: str
    next_visit_on: date | None
    screening_id: uuid.UUID | None
    version: int | None
    payload_hash: str = ""

    def canonical(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "client_id": str(self.client_id),
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
            "type": self.type,
            "participants": self.participants,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "location_accuracy_m": self.location_accuracy_m,
            "outcome": self.outcome,
            "notes": self.notes,
            "next_visit_on": self.next_visit_on.isoformat() if self.next_visit_on else None,
            "screening_id": str(self.screening_id) if self.screening_id else None,
        }


@dataclass
class VisitResult:
    index: int
    id: str | None
    status: str  # created | duplicate | updated | rejected
    version: int | None = None
    error: dict[str, Any] | None = None
    current: dict[str, Any] | None = None  # the stored record, on stale_version
    data: VisitData | None = field(default=None, repr=False)

    def reject(
        self, code: str, message: Any, field_name: str, details: list[ErrorDetail] | None = None
    ) -> None:
        self.status = "rejected"
        self.error = {
            "code": code,
            "message": str(message),
            "field": field_name,
            "details": [d.as_dict() for d in details or []],
        }

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "id": self.id, "status": self.status}
        if self.version is not None:
            out["version"] = self.version
        if self.error is not None:
            out["error"] = self.error
        if self.current is not None:
            out["current"] = self.current
        return out


# --- 1. cleaning: pure, no database -----------------------------------------------------------------------


def _uuid(raw: Any) -> uuid.UUID | None:
    if isinstance(raw, uuid.UUID):
        return raw
    if not isinstance(raw, str):
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


def visit_clean(*, data: Any, now: datetime) -> tuple[VisitData | None, list[ErrorDetail]]:
    """Check one uploaded visit against the rules; (cleaned data, []) or (None, the problems by field)."""
    errs: list[ErrorDetail] = []
    bad = lambda f, c, m: errs.append(ErrorDetail(f, c, m))  # noqa: E731
    if not isinstance(data, dict):
        return None, [ErrorDetail("body", "invalid_type", _("Setiap kunjungan harus berupa objek."))]
    ids: dict[str, uuid.UUID | None] = {}
    for name in ("id", "client_id"):
        ids[name] = _uuid(data.get(name))
        if ids[name] is None:
            bad(
                name,
                "missing" if data.get(name) is None else "invalid_uuid",
                _("UUID wajib diisi dengan benar."),
            )
    occurred_at = _clean_occurred_at(data.get("occurred_at"), now, bad)
    vtype = data.get("type")
    if vtype not in VisitType.values:
        bad("type", "invalid_choice", _("Jenis kunjungan tidak dikenal."))
    participants = _clean_participants(data.get("participants", ["client"]), bad)
    lat, lon, acc = _clean_location(data, bad)
    outcome, notes = data.get("outcome") or "", data.get("notes") or ""
    if not isinstance(outcome, str) or len(outcome) > MAX_OUTCOME:
        bad("outcome", "too_long", _("Hasil kunjungan paling banyak 40 karakter."))
    if not isinstance(notes, str) or len(notes) > MAX_NOTES:
        bad("notes", "too_long", _("Catatan paling banyak 4000 karakter."))
    next_visit_on = _clean_next_visit(data.get("next_visit_on"), occurred_at, bad)
    screening_id = None
    if data.get("screening_id") is not None:
        screening_id = _uuid(data["screening_id"])
        if screening_id is None:
            bad("screening_id", "invalid_uuid", _("UUID wajib diisi dengan benar."))
    version = data.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        bad("version", "invalid", _("Versi harus bilangan bulat positif."))
    if errs:
        return None, errs
    cleaned = VisitData(
        id=ids["id"],  # type: ignore[arg-type]
        client_id=ids["client_id"],  # type: ignore[arg-type]
        occurred_at=occurred_at,  # type: ignore[arg-type]
        type=vtype,  # type: ignore[arg-type]
        participants=participants,
        latitude=lat,
        longitude=lon,
        location_accuracy_m=acc,
        outcome=outcome.strip(),
        notes=notes,
        next_visit_on=next_visit_on,
        screening_id=screening_id,
        version=version,
    )
    canonical = json.dumps(cleaned.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    cleaned.payload_hash = hashlib.sha256(canonical.encode()).hexdigest()
    return cleaned, []


def _clean_occurred_at(raw: Any, now: datetime, bad: Any) -> datetime | None:
    if not isinstance(raw, str):
        bad(
            "occurred_at",
            "missing" if raw is None else "invalid",
            _("Waktu kunjungan wajib diisi (ISO 8601)."),
        )
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        bad("occurred_at", "invalid", _("Waktu kunjungan wajib diisi (ISO 8601)."))
        return None
    if value.tzinfo is None:
        bad("occurred_at", "timezone_required", _("Waktu kunjungan harus menyertakan zona waktu."))
        return None
    if value > now + FUTURE_TOLERANCE:
        bad("occurred_at", "in_future", _("Waktu kunjungan ada di masa depan: periksa jam perangkat."))
    elif value < now - MAX_AGE:
        bad("occurred_at", "too_old", _("Waktu kunjungan terlalu lama: periksa jam perangkat."))
    return value


def _clean_participants(raw: Any, bad: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_PARTICIPANTS:
        bad("participants", "invalid", _("Peserta: daftar berisi 1 sampai 20 nilai."))
        return []
    has_client, members = False, set()
    for item in raw:
        if item == "client":
            has_client = True
        elif (member := _uuid(item)) is not None:
            members.add(str(member))
        else:
            bad("participants", "invalid", _('Peserta harus "client" atau id anggota keluarga.'))
            return []
    # Canonical order: "client" first, then family member ids sorted.
    return (["client"] if has_client else []) + sorted(members)


def _clean_location(data: dict[str, Any], bad: Any) -> tuple[float | None, float | None, float | None]:
    raw_lat, raw_lon, raw_acc = data.get("latitude"), data.get("longitude"), data.get("location_accuracy_m")
    if raw_lat is None and raw_lon is None:
        if raw_acc is not None:
            bad("location_accuracy_m", "location_required", _("Akurasi hanya diisi bersama lokasi."))
        return None, None, None
    lat, lon = _number(raw_lat), _number(raw_lon)
    if lat is None or not -90 <= lat <= 90:
        bad("latitude", "out_of_range", _("Lintang harus antara -90 dan 90."))
    if lon is None or not -180 <= lon <= 180:
        bad("longitude", "out_of_range", _("Bujur harus antara -180 dan 180."))
    acc = None
    if raw_acc is not None:
        acc = _number(raw_acc)
        if acc is None or not 0 <= acc <= 100_000:
            bad("location_accuracy_m", "out_of_range", _("Akurasi lokasi harus antara 0 dan 100.000 meter."))
    return lat, lon, acc


def _clean_next_visit(raw: Any, occurred_at: datetime | None, bad: Any) -> date | None:
    if raw is None:
        return None
    try:
        value = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None:
        bad("next_visit_on", "invalid", _("Tanggal kunjungan berikut tidak valid (YYYY-MM-DD)."))
        return None
    if occurred_at is not None:
        day = occurred_at.date()
        if not day - timedelta(days=1) <= value <= day + timedelta(days=MAX_NEXT_VISIT_DAYS):
            bad(
                "next_visit_on",
                "out_of_range",
                _("Tanggal kunjungan berikut harus dalam setahun setelah kunjungan."),
            )
    return value


# --- 2 to 4. the batch --------------------------------------------------------------------------------------


def visit_actor_check(*, actor: User) -> None:
    """Field visits are logged by volunteers and village officials only (staff and coordinators do not)."""
    scope = scope_for(actor)
    if not scope.roles & FIELD_ROLES:
        raise PermissionDenied(
            _("Hanya agen pemulihan dan aparatur desa yang mencatat kunjungan."), code="not_a_field_worker"
        )


def visits_apply(*, actor: User, items: list[Any], mode: str = "upsert") -> list[VisitResult]:
    """Apply a batch of uploaded visits; one result per item, in order. `mode`: upsert | create | update.

    Runs in one transaction (the caller's, if any): when this returns and that transaction commits, every
    accepted visit is durable. A rejected item never stops the others.
    """
    # The recovery selectors own "who sees which client"; writing needs the full record, not the minimal view.
    from backend.recovery.selectors import client_qs_with_access_for

    visit_actor_check(actor=actor)
    now = timezone.now()
    results, firsts = _clean_all(items, now)
    todo = [r for r in firsts if r.status == "pending"]
    client_ids = {r.data.client_id for r in todo}  # type: ignore[union-attr]
    clients = (
        dict(
            client_qs_with_access_for(user=actor)
            .filter(id__in=RawSQL("SELECT unnest(%s::uuid[])", [list(client_ids)]), full_access=True)
            .values_list("id", "village_id")
        )
        if client_ids
        else {}
    )
    links = (
        set(
            ClientFamilyLink.objects.filter(client_id__in=clients, unlinked_at__isnull=True).values_list(
                "client_id", "member_id"
            )
        )
        if any(len(r.data.participants) > 1 or "client" not in r.data.participants for r in todo)
        else set()
    )  # type: ignore[union-attr]
    screening_ids = {r.data.screening_id for r in todo if r.data.screening_id}  # type: ignore[union-attr]
    screenings = (
        {
            sid: (cid, vid)
            for sid, cid, vid in Screening.objects.filter(id__in=screening_ids).values_list(
                "id", "client_id", "visit__id"
            )
        }
        if screening_ids
        else {}
    )
    existing = _visits_by_id([r.data.id for r in todo])  # type: ignore[union-attr]
    inserts, updates = [], []
    for r in todo:
        d: VisitData = r.data  # type: ignore[assignment]
        if not _check_refs(r, d, clients, links, screenings):
            continue
        stored = existing.get(d.id)
        if stored is None:
            if mode == "update":
                r.reject("not_found", _("Kunjungan tidak ditemukan."), "id")
            else:
                inserts.append(r)
        else:
            _classify_existing(r, d, stored, actor, clients, mode, updates)
    with transaction.atomic():
        created = _insert(inserts, actor, now)
        updated = _update(updates, actor, now)
        written = created + updated
        change_record_many(
            entity="visit",
            rows=[(v.id, clients[v.client_id], v.client_id) for v in written],
        )
        _complete_tasks(created)
    _copy_repeats(results)
    return results


def _clean_all(items: list[Any], now: datetime) -> tuple[list[VisitResult], list[VisitResult]]:
    """Clean every item; the first occurrence of an id is worked on, repeats copy its answer at the end."""
    results, firsts, seen = [], [], set()
    for index, item in enumerate(items):
        data, errs = visit_clean(data=item, now=now)
        raw_id = item.get("id") if isinstance(item, dict) else None
        r = VisitResult(
            index=index,
            id=str(data.id) if data else (raw_id if isinstance(raw_id, str) else None),
            status="pending",
            data=data,
        )
        results.append(r)
        if data is None:
            r.reject("validation_error", _("Data kunjungan tidak valid."), errs[0].field, errs)
        elif data.id in seen:
            r.status = "repeat"
        else:
            seen.add(data.id)
            firsts.append(r)
    return results, firsts


def _check_refs(r: VisitResult, d: VisitData, clients: dict, links: set, screenings: dict) -> bool:
    """The client in scope, the participants linked to it, the screening of it and still free."""
    if d.client_id not in clients:
        # Out of scope and unknown answer alike: existence is never revealed.
        r.reject("not_found", _("Klien tidak ditemukan."), "client_id")
        return False
    for p in d.participants:
        if p != "client" and (d.client_id, uuid.UUID(p)) not in links:
            r.reject(
                "validation_error",
                _("Peserta bukan anggota keluarga yang tertaut dengan klien ini."),
                "participants",
                [
                    ErrorDetail(
                        "participants",
                        "not_linked",
                        _("Peserta bukan anggota keluarga yang tertaut dengan klien ini."),
                    )
                ],
            )
            return False
    if d.screening_id:
        owner, linked_visit = screenings.get(d.screening_id, (None, None))
        if owner != d.client_id:
            r.reject(
                "validation_error",
                _("Skrining tidak ditemukan untuk klien ini."),
                "screening_id",
                [ErrorDetail("screening_id", "not_found", _("Skrining tidak ditemukan untuk klien ini."))],
            )
            return False
        if linked_visit is not None and linked_visit != d.id:
            r.reject(
                "validation_error",
                _("Skrining ini sudah tertaut dengan kunjungan lain."),
                "screening_id",
                [
                    ErrorDetail(
                        "screening_id",
                        "screening_taken",
                        _("Skrining ini sudah tertaut dengan kunjungan lain."),
                    )
                ],
            )
            return False
    return True


def _classify_existing(
    r: VisitResult, d: VisitData, stored: Visit, actor: User, clients: dict, mode: str, updates: list
) -> None:
    if stored.client_id not in clients:
        r.reject("not_found", _("Kunjungan tidak ditemukan."), "id")
    elif stored.payload_hash == d.payload_hash:
        r.status, r.version = "duplicate", stored.version
    elif d.version is None or mode == "create":
        r.reject("id_conflict", _("Id kunjungan sudah dipakai untuk data lain."), "id")
    elif d.version != stored.version:
        r.reject("stale_version", _("Kunjungan sudah diubah di tempat lain."), "version")
        r.current = visit_as_dict(stored)
    elif stored.logged_by_id != actor.id:
        r.reject("forbidden", _("Hanya pencatat kunjungan yang boleh mengubahnya."), "id")
    elif stored.client_id != d.client_id:
        r.reject(
            "validation_error",
            _("Klien sebuah kunjungan tidak dapat diganti."),
            "client_id",
            [ErrorDetail("client_id", "immutable", _("Klien sebuah kunjungan tidak dapat diganti."))],
        )
    else:
        updates.append(r)


def _row(d: VisitData, actor: User, now: datetime) -> Visit:
    from django.contrib.gis.geos import Point

    location = Point(d.longitude, d.latitude, srid=4326) if d.latitude is not None else None
    return Visit(
        id=d.id,
        client_id=d.client_id,
        logged_by_id=actor.id,
        occurred_at=d.occurred_at,
        received_at=now,
        type=d.type,
        participants=d.participants,
        location=location,
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
_COLUMNS = {
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


def _json_value(v: Visit, column: str) -> Any:
    value = getattr(v, column)
    if column == "location":
        return value.ewkt if value is not None else None
    if isinstance(value, uuid.UUID | datetime | date):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


def _insert_rows(rows: list[Visit]) -> set[uuid.UUID]:
    """`INSERT ... SELECT FROM jsonb_to_recordset(one parameter) ON CONFLICT DO NOTHING RETURNING id`.

    One JSON parameter rather than 16 per row: psycopg parses a query's placeholders on the client, and 8,000
    of them cost more than the insert itself. No conflict target: a taken id and a taken screening both make a
    row quietly not inserted (and not returned).
    """
    q = connection.ops.quote_name
    # Rows in id order: two batches carrying the same visits in another order lock them in the same order,
    # so they wait for each other instead of deadlocking.
    ordered = sorted(rows, key=lambda v: v.id)
    payload = json.dumps([{c: _json_value(v, c) for c in _COLUMNS} for v in ordered])
    select = ", ".join("ST_GeogFromText(r.location)" if c == "location" else f"r.{q(c)}" for c in _COLUMNS)
    sql = (
        f"INSERT INTO {q(Visit._meta.db_table)} ({', '.join(q(c) for c in _COLUMNS)}) "
        f"SELECT {select} FROM jsonb_to_recordset(%s::jsonb) AS r("
        + ", ".join(f"{q(c)} {t}" for c, t in _COLUMNS.items())
        + ") ON CONFLICT DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])
        return {row[0] for row in cursor.fetchall()}


def _visits_by_id(ids: list[uuid.UUID]) -> dict[uuid.UUID, Visit]:
    """Stored visits by id, the ids passed as one array parameter (see `_insert_rows` on placeholders)."""
    if not ids:
        return {}
    array = RawSQL("SELECT unnest(%s::uuid[])", [ids])
    return {v.id: v for v in Visit.objects.filter(id__in=array)}


def _insert(inserts: list[VisitResult], actor: User, now: datetime) -> list[Visit]:
    """Insert new visits in one statement; rows a concurrent request stored first are re-read and answered."""
    if not inserts:
        return []
    rows = {r.data.id: _row(r.data, actor, now) for r in inserts}  # type: ignore[union-attr]
    try:
        with transaction.atomic():
            inserted = _insert_rows(list(rows.values()))
    except IntegrityError:
        # A client or screening removed meanwhile: fall back to one savepoint per row to find the culprit.
        inserted = set()
        for r in inserts:
            try:
                with transaction.atomic():
                    inserted |= _insert_rows([rows[r.data.id]])  # type: ignore[union-attr]
            except IntegrityError:
                r.reject("not_found", _("Klien atau skrining tidak ditemukan."), "client_id")
    lost = [r for r in inserts if r.status == "pending" and r.data.id not in inserted]  # type: ignore[union-attr]
    now_stored = _visits_by_id([r.data.id for r in lost])  # type: ignore[union-attr]
    created = []
    for r in inserts:
        if r.status != "pending":
            continue
        d: VisitData = r.data  # type: ignore[assignment]
        if d.id in inserted:
            r.status, r.version = "created", 1
            v = rows[d.id]
            v._state.adding, v._state.db = False, "default"
            created.append(v)
        elif (other := now_stored.get(d.id)) is None:
            r.reject(
                "validation_error",
                _("Skrining ini sudah tertaut dengan kunjungan lain."),
                "screening_id",
                [
                    ErrorDetail(
                        "screening_id",
                        "screening_taken",
                        _("Skrining ini sudah tertaut dengan kunjungan lain."),
                    )
                ],
            )
        elif other.payload_hash == d.payload_hash:
            r.status, r.version = "duplicate", other.version
        else:
            r.reject("id_conflict", _("Id kunjungan sudah dipakai untuk data lain."), "id")
    return created


def _update(updates: list[VisitResult], actor: User, now: datetime) -> list[Visit]:
    """Edits: a conditional UPDATE on (id, version) each, so of two edits of one version exactly one wins."""
    done = []
    for r in sorted(updates, key=lambda r: r.data.id):  # type: ignore[union-attr]  # id order: see _insert_rows
        d: VisitData = r.data  # type: ignore[assignment]
        v = _row(d, actor, now)
        fields = {
            c: getattr(v, c)
            for c in _COLUMNS
            if c not in ("id", "client_id", "logged_by_id", "received_at", "version")
        }
        try:
            with transaction.atomic():
                count = Visit.objects.filter(id=d.id, version=d.version).update(
                    version=F("version") + 1, **fields
                )
        except IntegrityError:
            r.reject(
                "validation_error",
                _("Skrining ini sudah tertaut dengan kunjungan lain."),
                "screening_id",
                [
                    ErrorDetail(
                        "screening_id",
                        "screening_taken",
                        _("Skrining ini sudah tertaut dengan kunjungan lain."),
                    )
                ],
            )
            continue
        stored = Visit.objects.get(id=d.id)
        if count == 1:
            r.status, r.version = "updated", stored.version
            done.append(stored)
        elif stored.payload_hash == d.payload_hash:
            r.status, r.version = "duplicate", stored.version
        else:
            r.reject("stale_version", _("Kunjungan sudah diubah di tempat lain."), "version")
            r.current = visit_as_dict(stored)
    return done


def _complete_tasks(created: list[Visit]) -> None:
    """Field tasks are completed by logging a visit (the escalations app decides which)."""
    try:
        from backend.escalations import services as escalation_services
    except ModuleNotFoundError as exc:  # the escalations services may not be there yet
        if exc.name != "backend.escalations.services":
            raise
        return
    hook = getattr(escalation_services, "tasks_complete_for_visit", None)
    if hook is None or not created:
        return
    from backend.escalations.models import Task, TaskStatus

    # One query to find the few clients with an open task of this author, instead of one per visit of a batch.
    with_tasks = set(
        Task.objects.filter(
            client_id__in={v.client_id for v in created},
            assignee_id=created[0].logged_by_id,
            status=TaskStatus.OPEN,
        ).values_list("client_id", flat=True)
    )
    for visit in sorted(created, key=lambda v: (str(v.client_id), v.occurred_at)):  # a stable lock order
        if visit.client_id in with_tasks:
            hook(visit=visit)


def _copy_repeats(results: list[VisitResult]) -> None:
    """An id sent twice in one batch: same content answers like the first; other content is an id_conflict."""
    first: dict[uuid.UUID, VisitResult] = {}
    for r in results:
        if r.data is None:
            continue
        if r.status != "repeat":
            first.setdefault(r.data.id, r)
            continue
        f = first[r.data.id]
        if f.data.payload_hash != r.data.payload_hash:  # type: ignore[union-attr]
            r.reject("id_conflict", _("Id kunjungan sudah dipakai untuk data lain."), "id")
        elif f.status in ("created", "updated", "duplicate"):
            r.status, r.version = "duplicate", f.version
        else:
            r.status, r.error, r.current = f.status, f.error, f.current


# --- the single-visit services and the record's shape ----------------------------------------------------


def _one(result: VisitResult) -> Visit:
    if result.status != "rejected":
        return Visit.objects.get(id=result.id)
    err = result.error or {}
    details = [ErrorDetail(d["field"], d["code"], d["message"]) for d in err.get("details", [])]
    code, message = err.get("code", "validation_error"), err.get("message")
    if code == "not_found":
        raise NotFound(message)
    if code == "forbidden":
        raise PermissionDenied(message)
    if code in ("id_conflict", "stale_version"):
        raise Conflict(message, code=code, extra={"current": result.current} if result.current else None)
    raise ValidationFailed(message, code=code, details=details)


def visit_create(*, actor: User, data: dict[str, Any]) -> Visit:
    """Log one visit (a resend of the same visit returns the stored one). Raises the item's error."""
    return _one(visits_apply(actor=actor, items=[data], mode="create")[0])


def visit_update(*, actor: User, visit_id: uuid.UUID, data: dict[str, Any]) -> Visit:
    """Edit a visit: `data` carries the whole visit and the `version` it was read at (stale: 409 + record)."""
    if data.get("version") is None:
        raise ValidationFailed(
            details=[ErrorDetail("version", "missing", _("Versi wajib diisi untuk perubahan."))]
        )
    return _one(visits_apply(actor=actor, items=[{**data, "id": str(visit_id)}], mode="update")[0])


def visit_as_dict(visit: Visit) -> dict[str, Any]:
    """A visit as the API and the sync feed show it."""
    loc = visit.location
    return {
        "id": str(visit.id),
        "client_id": str(visit.client_id),
        "logged_by_id": str(visit.logged_by_id),
        "occurred_at": visit.occurred_at.isoformat(),
        "received_at": visit.received_at.isoformat(),
        "type": visit.type,
        "participants": visit.participants,
        "latitude": loc.y if loc is not None else None,
        "longitude": loc.x if loc is not None else None,
        "location_accuracy_m": visit.location_accuracy_m,
        "outcome": visit.outcome,
        "notes": visit.notes,
        "next_visit_on": visit.next_visit_on.isoformat() if visit.next_visit_on else None,
        "screening_id": str(visit.screening_id) if visit.screening_id else None,
        "version": visit.version,
        "updated_at": visit.updated_at.isoformat(),
    }
