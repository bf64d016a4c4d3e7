"""Schemas of /sync: the visit upload batch and the change feed."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import WithJsonSchema

from api.schemas.base import InSchema, IsoDate, IsoDatetime
from api.schemas.clients import VisitOut
from api.schemas.jsonschema import inline_json_schema
from backend.recovery.models import VisitType


class VisitIn(InSchema):
    """One visit as the phone uploads it. Checked item by item on the server (a bad item is rejected alone)."""

    id: UUID = Field(description="Dibuat di ponsel (UUID), agar kiriman ulang dikenali.")
    client_id: UUID = Field(description="Klien yang dikunjungi (harus dalam cakupan pengguna).")
    occurred_at: IsoDatetime = Field(
        description="Waktu kunjungan menurut perangkat, ISO 8601 dengan zona waktu; paling jauh 10 menit ke depan."
    )
    type: VisitType = Field(description="Jenis kunjungan.")
    participants: list[str] = Field(
        default=["client"],
        description='Peserta: "client" dan/atau id anggota keluarga yang tertaut dengan klien (1-20).',
    )
    latitude: float | None = Field(None, ge=-90, le=90, description="Lintang GPS (WGS 84), opsional.")
    longitude: float | None = Field(None, ge=-180, le=180, description="Bujur GPS (WGS 84), opsional.")
    location_accuracy_m: float | None = Field(None, ge=0, description="Akurasi lokasi dalam meter.")
    outcome: str = Field("", max_length=40, description="Hasil kunjungan (kode singkat).")
    notes: str = Field("", max_length=4000, description="Catatan.")
    next_visit_on: IsoDate | None = Field(None, description="Rencana tanggal kunjungan berikut (YYYY-MM-DD).")
    screening_id: UUID | None = Field(None, description="Skrining ASSIST yang dilakukan pada kunjungan ini.")
    version: int | None = Field(
        None, ge=1, description="Hanya untuk perubahan: versi yang terakhir dibaca ponsel dari server."
    )


VisitItem = Annotated[Any, WithJsonSchema(inline_json_schema(VisitIn))]


class SyncVisitsIn(InSchema):
    visits: list[VisitItem] = Field(description="Paling banyak 500 kunjungan (lihat VisitIn).")


class ItemErrorOut(Schema):
    code: str = Field(
        description=(
            "not_found | validation_error | id_conflict | stale_version | forbidden | consent_required | "
            "family_contact_not_allowed (kode stabil)."
        )
    )
    message: str
    field: str = Field(description="Isian yang bermasalah.")
    details: list[dict[str, str]] = Field(description="Semua masalah per isian: {field, code, message}.")


class VisitResultOut(Schema):
    index: int = Field(description="Posisi kunjungan dalam kiriman.")
    id: str | None = Field(description="Id kunjungan (jika terbaca).")
    status: Literal["created", "duplicate", "updated", "rejected"]
    version: int | None = Field(None, description="Versi yang tersimpan di server.")
    error: ItemErrorOut | None = None
    current: VisitOut | None = Field(None, description="Data tersimpan saat ini (pada stale_version).")


class SyncSummaryOut(Schema):
    created: int
    duplicate: int
    updated: int
    rejected: int


class SyncVisitsOut(Schema):
    results: list[VisitResultOut] = Field(description="Satu hasil per kunjungan, urut seperti kiriman.")
    summary: SyncSummaryOut


class ChangeItemOut(Schema):
    entity: Literal["client", "family_member", "visit", "task", "escalation", "notification", "scope"]
    id: UUID
    op: Literal["upsert", "delete", "leave", "reset"] = Field(
        description=(
            "upsert: simpan data ini; delete: dihapus; leave: keluar dari data ponsel (hapus lokal); "
            "reset (entity scope, id pengguna): cakupan pengguna berubah, hapus semua data lokal lalu "
            "lanjutkan dengan next_cursor (sinkron awal)."
        )
    )
    data: dict[str, Any] | None = Field(
        description=(
            "Keadaan terkini entitas (upsert), selain itu null: rekaman yang sama dengan yang ditunjukkan API "
            "kepada pengguna ini (ClientOut, FamilyMemberOut, VisitOut, TaskOut, EscalationOut, "
            "NotificationOut). Klien dan eskalasi membawa `access`: full, atau minimal (kasus yang baru "
            "ditawarkan: data terbatas, seperti di API)."
        )
    )


class ChangesOut(Schema):
    items: list[ChangeItemOut]
    next_cursor: str = Field(description="Kirim kembali sebagai `cursor` untuk halaman berikutnya.")
    has_more: bool = Field(description="true: segera minta halaman berikutnya.")
    visit_window_days: int = Field(
        description=(
            "Ponsel menyimpan kunjungan sekian hari terakhir saja; kunjungan yang keluar dari jendela ini "
            "dikirim sebagai leave."
        )
    )
