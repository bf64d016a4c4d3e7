"""The rules a support visit must meet, checked in plain Python (no database), and the record's shape."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Role
from backend.common.errors import ErrorDetail
from backend.recovery.models import VisitType
from backend.recovery.records import visit_records

# A phone's clock may run a little ahead; more than this is a wrong clock, not a visit.
FUTURE_TOLERANCE = timedelta(minutes=10)
# A phone may stay offline for weeks, not for years: older is a wrong clock or a wrong record.
MAX_AGE = timedelta(days=settings.VISIT_MAX_AGE_DAYS)
MAX_PARTICIPANTS = 20
MAX_NOTES = 4000
MAX_OUTCOME = 40
MAX_NEXT_VISIT_DAYS = 366

FIELD_ROLES = frozenset({Role.VOLUNTEER, Role.VILLAGE_OFFICIAL})
# The choices once: `VisitType.values` walks the enum on every call, 500 times a batch.
VISIT_TYPES = frozenset(VisitType.values)


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


# --- cleaning: pure, no database ---------------------------------------------------------------------------


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
    try:
        return float(raw)
    except (OverflowError, ValueError):  # an integer beyond any float (10**400) is no coordinate
        return None


def text_storable(value: str) -> bool:
    """Can PostgreSQL store this text? Not with a NUL character, nor with a lone surrogate (invalid UTF-8).

    The API guard refuses NUL for every other path; a visit batch judges each item on its own, so it checks here.
    """
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    if vtype not in VISIT_TYPES:
        bad("type", "invalid_choice", _("Jenis kunjungan tidak dikenal."))
    participants = _clean_participants(data.get("participants", ["client"]), bad)
    lat, lon, acc = _clean_location(data, bad)
    outcome, notes = data.get("outcome") or "", data.get("notes") or ""
    if not isinstance(outcome, str) or len(outcome) > MAX_OUTCOME:
        bad("outcome", "too_long", _("Hasil kunjungan paling banyak 40 karakter."))
    elif not text_storable(outcome):
        bad("outcome", "invalid_character", _("Teks berisi karakter yang tidak diizinkan."))
    if not isinstance(notes, str) or len(notes) > MAX_NOTES:
        bad("notes", "too_long", _("Catatan paling banyak 4000 karakter."))
    elif not text_storable(notes):
        bad("notes", "invalid_character", _("Teks berisi karakter yang tidak diizinkan."))
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
    # A flagged time is returned as None: later checks must not compute with a date near year 1 or 9999
    # (next_visit_on's range would overflow).
    if value > now + FUTURE_TOLERANCE:
        bad("occurred_at", "in_future", _("Waktu kunjungan ada di masa depan: periksa jam perangkat."))
        return None
    if value < now - MAX_AGE:
        bad("occurred_at", "too_old", _("Waktu kunjungan terlalu lama: periksa jam perangkat."))
        return None
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


class _Identified(Protocol):
    id: uuid.UUID


def visit_as_dict(visit: _Identified) -> dict[str, Any]:
    """A stored visit's record as JSON values (the upload's answer to a stale edit): the one visit record of
    recovery.records (`visit_records`), built by the database, as the feed and GET /clients/{id}/visits show it."""
    return visit_records(user=None, visits=[visit.id])[visit.id].value()
