"""Schemas of `POST /sync/contact-attempts`: the contact attempts a phone uploads, and the answer per item."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict, StrictInt, StrictStr, WithJsonSchema

from api.schemas.base import InSchema, IsoDatetime
from api.schemas.jsonschema import inline_json_schema
from backend.recovery.models import ContactChannel, ContactResult


class ContactAttemptIn(InSchema):
    """Satu upaya menghubungi klien, dicatat di ponsel (sering luring) lalu diunggah. Diperiksa per butir di server:
    butir yang salah ditolak sendiri, tanpa menggagalkan yang lain. Tipe ketat: angka bukan teks."""

    model_config = ConfigDict(strict=True)

    id: UUID = Field(description="Dibuat di ponsel (UUID), agar kiriman ulang dikenali.")
    client_id: UUID = Field(
        description="Klien yang dihubungi (data lengkapnya harus dalam cakupan pengguna)."
    )
    occurred_at: IsoDatetime = Field(
        description=(
            "Waktu upaya kontak menurut perangkat, ISO 8601 dengan zona waktu; paling jauh 10 menit ke depan "
            "dan tidak lebih lama dari batas umur kunjungan."
        )
    )
    channel: ContactChannel = Field(
        description=(
            "Saluran: phone_call (telepon), home_visit (kunjungan rumah), via_family (melalui keluarga), "
            "via_village_official (melalui aparatur desa), message (pesan)."
        )
    )
    result: ContactResult = Field(
        description=(
            "Hasil (kode, bukan teks bebas): reached (terhubung), no_answer (tidak ada jawaban), wrong_number "
            "(nomor salah), refused (menolak), moved_away (pindah), in_hospital (dirawat di rumah sakit), "
            "in_prison (di lembaga pemasyarakatan), deceased (meninggal)."
        )
    )
    note: StrictStr = Field(
        "", max_length=280, description="Catatan singkat, opsional. Jangan tulis nama atau nomor HP keluarga."
    )


# Items are taken as plain objects so that one malformed attempt is answered `rejected` on its own instead of
# failing the whole batch; the document still shows the item's schema (ContactAttemptIn).
ContactAttemptItem = Annotated[Any, WithJsonSchema(inline_json_schema(ContactAttemptIn))]


class SyncContactAttemptsIn(InSchema):
    attempts: list[ContactAttemptItem] = Field(
        description="Paling banyak 500 upaya kontak (lihat ContactAttemptIn)."
    )


class ContactItemErrorOut(Schema):
    code: StrictStr = Field(
        description=(
            "not_found (klien di luar cakupan atau tidak ada) | validation_error | id_conflict (id sudah dipakai "
            "untuk data lain) | consent_required (persetujuan pengumpulan data belum ada atau ditarik)."
        )
    )
    message: StrictStr
    field: StrictStr = Field(description="Isian yang bermasalah.")
    details: list[dict[str, str]] = Field(description="Semua masalah per isian: {field, code, message}.")


class ContactAttemptResultOut(Schema):
    index: StrictInt = Field(description="Posisi upaya kontak dalam kiriman.")
    id: StrictStr | None = Field(description="Id upaya kontak (jika terbaca).")
    status: Literal["created", "duplicate", "rejected"] = Field(
        description="created: disimpan; duplicate: sudah tersimpan sebelumnya (kiriman ulang); rejected: ditolak."
    )
    error: ContactItemErrorOut | None = None


class ContactAttemptsSummaryOut(Schema):
    created: StrictInt
    duplicate: StrictInt
    rejected: StrictInt


class SyncContactAttemptsOut(Schema):
    results: list[ContactAttemptResultOut] = Field(
        description="Satu hasil per upaya kontak, urut seperti kiriman."
    )
    summary: ContactAttemptsSummaryOut


class PersonRefOut(Schema):
    id: UUID
    name: str


class ContactAttemptOut(Schema):
    """One stored contact attempt: the same record in GET /clients/{id}/contact-attempts and the sync feed."""

    id: UUID
    client_id: UUID
    occurred_at: datetime = Field(description="Waktu upaya kontak menurut perangkat.")
    received_at: datetime = Field(description="Waktu server menerima upaya kontak.")
    channel: ContactChannel
    result: ContactResult
    note: str
    logged_by: PersonRefOut = Field(description="Yang mencatat upaya kontak.")


class ContactAttemptPageOut(Schema):
    items: list[ContactAttemptOut]
    count: int
    limit: int
    offset: int
    has_more: bool
