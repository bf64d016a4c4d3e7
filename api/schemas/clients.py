"""Schemas of /clients: clients, family members, consent, transitions, screenings, visits, timeline."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictBool

from api.schemas.accounts import ErrorBodyOut
from api.schemas.base import PHONE_PATTERN, InSchema, IsoDate, IsoDatetime
from backend.recovery.models import VisitType

Sex = Literal["male", "female"]
ConsentScopeName = Literal["data_collection", "contact_family", "referral"]
FamilyRoleName = Literal["supporter", "guardian", "emergency_contact"]
UseRouteLit = Literal["oral", "smoked", "inhaled", "sniffed", "injected", "other"]


# --- errors with extra payload --------------------------------------------------------------------------------


class ExistingClientRef(Schema):
    id: uuid.UUID = Field(description="Id klien yang sudah ada.")
    code: str = Field(description="Kode klien yang sudah ada.")


class DuplicateClientOut(Schema):
    error: ErrorBodyOut
    existing: ExistingClientRef | None = Field(
        description="Klien yang sudah ada; null bila di luar wilayah Anda (hubungi koordinator BNN)."
    )


# --- clients --------------------------------------------------------------------------------------------------


class ConsentIn(InSchema):
    scope: ConsentScopeName = Field(description="Cakupan: data_collection, contact_family, referral.")
    given: StrictBool = Field(
        description='true = diberikan, false = ditarik (hanya true/false, bukan 0, "no").'
    )
    given_by: Literal["client", "guardian"] = Field("client", description="Siapa yang memberi persetujuan.")
    guardian_id: uuid.UUID | None = Field(None, description="Anggota keluarga berperan wali (untuk anak).")
    note: str = Field("", max_length=1000)


class ClientCreateIn(InSchema):
    name: str = Field(min_length=1, max_length=150, description="Nama atau alias.")
    sex: Sex
    birth_date: IsoDate | None = Field(None, description="Tanggal lahir, bila diketahui.")
    birth_year: int | None = Field(None, description="Tahun lahir, bila tanggal tidak diketahui.")
    phone: str | None = Field(
        None, max_length=24, pattern=PHONE_PATTERN, description="Nomor HP (08xx, 628xx, +628xx)."
    )
    village_code: str = Field(max_length=13, description="Kode Kemendagri desa/kelurahan tempat tinggal.")
    address: str = Field("", max_length=300)
    substances: list[str] = Field(default_factory=list, description="Golongan zat ASSIST yang digunakan.")
    nik: str | None = Field(
        None, max_length=32, description="NIK 16 digit; hanya disimpan sebagai hash berkunci."
    )
    notes: str = Field("", max_length=4000)
    use_duration_years: int | None = Field(None, ge=0, le=80, description="Lama penggunaan zat (tahun).")
    use_route: UseRouteLit | None = Field(None, description="Cara penggunaan utama (rekap IPWL).")
    assigned_volunteer_ids: list[uuid.UUID] = Field(default_factory=list, description="Kader pendamping.")
    consents: list[ConsentIn] = Field(default_factory=list, description="Persetujuan awal (opsional).")


class ClientPatchIn(InSchema):
    version: int = Field(description="Versi data yang sedang diubah; versi lama menjawab 409.")
    name: str | None = Field(None, min_length=1, max_length=150)
    sex: Sex | None = None
    birth_date: IsoDate | None = None
    birth_year: int | None = None
    phone: str | None = Field(None, max_length=24, pattern=PHONE_PATTERN)
    village_code: str | None = Field(None, max_length=13)
    address: str | None = Field(None, max_length=300)
    substances: list[str] | None = None
    nik: str | None = Field(
        None, max_length=32, description="NIK baru; null menghapus NIK yang tersimpan (hash)."
    )
    notes: str | None = Field(None, max_length=4000)
    use_duration_years: int | None = Field(None, ge=0, le=80)
    use_route: UseRouteLit | None = None
    assigned_volunteer_ids: list[uuid.UUID] | None = None
    reason: str | None = Field(
        None,
        max_length=500,
        description="Alasan perubahan (riwayat perbaikan); wajib bila nama, jenis kelamin, tanggal/tahun lahir "
        "atau NIK berubah (422 `reason_required`).",
    )


class VillageRef(Schema):
    code: str
    name: str


class PersonRef(Schema):
    id: uuid.UUID
    name: str


class FamilyMemberOut(Schema):
    id: uuid.UUID
    name: str
    relationship: str
    role: FamilyRoleName
    may_contact: bool
    phone: str | None = Field(
        description="Hanya bila anggota bersedia dihubungi dan persetujuan contact_family berlaku."
    )
    village_code: str = Field(description="Kode Kemendagri desa/kelurahan tempat tinggal anggota.")
    client_ids: list[uuid.UUID] = Field(
        description="Klien yang tertaut dengan anggota ini dan terlihat oleh Anda (di sini: klien ini)."
    )
    linked_at: datetime | None = Field(description="Waktu anggota ditautkan dengan klien (yang terlama).")
    version: int
    updated_at: datetime = Field(description="Terakhir diubah.")


class EscalationRef(Schema):
    id: uuid.UUID
    need: str = Field(description="counseling atau assessment.")
    urgency: str = Field(description="routine atau urgent.")
    status: str


class ClientOut(Schema):
    id: uuid.UUID
    code: str = Field(description="Kode klien, mis. KTG-2026-00042.")
    access: Literal["full", "minimal"] = Field(
        description="minimal: petugas yang baru ditawari kasus melihat kode, jenis kelamin, tahun lahir, desa "
        "dan kebutuhan eskalasi saja."
    )
    sex: Sex
    birth_year: int | None
    village: VillageRef
    village_code: str = Field(
        description="Kode Kemendagri desa/kelurahan tempat tinggal (sama dengan village.code)."
    )
    escalation: EscalationRef | None = Field(None, description="Eskalasi yang ditawarkan (tampilan minimal).")
    name: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    address: str | None = None
    substances: list[str] | None = None
    nik_on_file: bool | None = Field(
        None,
        description="true bila NIK tersimpan (hanya sebagai hash; tidak ada bagian NIK yang ditampilkan).",
    )
    notes: str | None = None
    use_duration_years: int | None = None
    use_route: str | None = Field(
        None, description="oral, smoked, inhaled, sniffed, injected, other; kosong."
    )
    status: str | None = None
    consent_withdrawn_at: datetime | None = Field(
        None,
        description="Persetujuan pengumpulan data ditarik sejak waktu ini: data hanya disimpan sejauh diwajibkan "
        "hukum, terlihat oleh koordinator wilayah saja, dan tidak dapat diubah (409 `consent_withdrawn`).",
    )
    assigned_volunteers: list[PersonRef] | None = None
    assigned_volunteer_ids: list[uuid.UUID] | None = Field(
        None, description="Id kader pendamping, terurut (sama dengan assigned_volunteers)."
    )
    family_members: list[FamilyMemberOut] | None = None
    consents: dict[str, bool] | None = Field(None, description="Cakupan -> berlaku atau tidak.")
    last_contact_at: datetime | None = Field(
        None, description="Kontak terakhir: kunjungan tersimpan atau upaya kontak yang terhubung."
    )
    phone_flagged: bool | None = Field(
        None, description="Nomor HP klien ditandai salah oleh upaya kontak dan perlu diperbaiki."
    )
    follow_up: FollowUpOut | None = Field(None, description="Posisi klien dalam tangga tindak lanjut.")
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class FollowUpOut(Schema):
    level: int = Field(
        description="Tingkat tindak lanjut: 0 tidak ada episode; 1 kader memegang tugas; 2 aparatur desa juga; "
        "3 koordinator BNN diberi tahu."
    )
    since: date | None = Field(description="Tanggal (zona waktu wilayah) tingkat ini dimulai.")
    reason: str | None = Field(
        description="Pemicu episode: failed_attempts, missed_visit atau no_contact; null tanpa episode."
    )
    next_contact_due_on: date | None = Field(
        description="Batas kontak berikutnya sebelum episode dimulai (zona waktu wilayah); null bila klien tidak "
        "sedang diikuti (persetujuan ditarik, rawat inap, ditunda, atau status tidak aktif)."
    )


class StaleClientOut(Schema):
    error: ErrorBodyOut
    current: ClientOut


class ClientListItemOut(Schema):
    id: uuid.UUID
    code: str
    access: Literal["full", "minimal"]
    name: str | None = Field(description="null pada tampilan minimal.")
    sex: Sex
    birth_year: int | None
    village: VillageRef
    village_code: str = Field(
        description="Kode Kemendagri desa/kelurahan tempat tinggal (sama dengan village.code)."
    )
    status: str | None = Field(description="null pada tampilan minimal.")
    follow_up_level: int | None = Field(
        None, description="Tingkat tindak lanjut 0-3 (lihat ClientOut.follow_up); null pada tampilan minimal."
    )
    consent_withdrawn_at: datetime | None = Field(
        None,
        description="Persetujuan pengumpulan data ditarik sejak waktu ini (koordinator saja yang melihat).",
    )
    version: int


class ClientPageOut(Schema):
    items: list[ClientListItemOut]
    count: int
    limit: int
    offset: int
    has_more: bool


class ClientListParams(Schema):
    q: str = Field("", max_length=100, description="Cari nama atau kode.")
    village: str = Field("", max_length=13, description="Kode wilayah (desa, kecamatan, kabupaten...).")
    status: str = Field("", max_length=20, description="Status siklus klien.")
    follow_up: Literal["overdue", "lost"] | None = Field(
        None,
        description="overdue: klien dalam episode tindak lanjut (tingkat 1-3: kontak berikutnya terlambat dan "
        "seseorang memegang tugas untuk menghubunginya); lost: klien berstatus putus kontak (lost_contact).",
    )


# --- family, consent, transitions -----------------------------------------------------------------------------


class FamilyMemberIn(InSchema):
    id: uuid.UUID = Field(
        description="UUID dibuat di HP; mengirim ulang id yang sama tidak membuat data baru."
    )
    name: str | None = Field(None, max_length=150, description="Wajib untuk anggota baru.")
    relationship: str | None = Field(None, max_length=40, description="Wajib untuk anggota baru.")
    phone: str | None = Field(None, max_length=24, pattern=PHONE_PATTERN)
    role: FamilyRoleName | None = None
    may_contact: StrictBool = False


class FamilyMemberPatchIn(InSchema):
    version: int = Field(description="Versi data anggota yang sedang diubah; versi lama menjawab 409.")
    name: str | None = Field(None, min_length=1, max_length=150)
    relationship: str | None = Field(None, min_length=1, max_length=40)
    phone: str | None = Field(
        None, max_length=24, pattern=PHONE_PATTERN, description="Kosong atau null menghapus nomor."
    )
    role: FamilyRoleName | None = None
    may_contact: StrictBool | None = None
    reason: str | None = Field(None, max_length=500, description="Alasan perubahan (riwayat perbaikan).")


class StaleFamilyMemberOut(Schema):
    error: ErrorBodyOut
    current: FamilyMemberOut


class ConsentOut(Schema):
    id: uuid.UUID
    scope: str
    given: bool
    given_by: str
    guardian_id: uuid.UUID | None
    recorded_at: datetime
    note: str
    in_force: dict[str, bool] = Field(description="Persetujuan yang berlaku setelah peristiwa ini.")


class TransitionIn(InSchema):
    to: str = Field(max_length=20, description="Status tujuan.")
    reason: str = Field("", max_length=1000)


# --- screening ------------------------------------------------------------------------------------------------


class ScreeningIn(InSchema):
    id: uuid.UUID = Field(description="UUID dibuat di HP; mengirim ulang mengembalikan hasil yang tersimpan.")
    answers: dict[str, Any] = Field(
        description='Per golongan zat: {"q1": true/false, "q2": 0|2|3|4|6, "q3": ..., "q7": ...} '
        "mengikuti aturan lompatan ASSIST v3.0."
    )
    q8: int | None = Field(
        None, description="Menyuntik: 0 tidak, 2 ya dalam 3 bulan, 1 ya tetapi lebih lama."
    )
    screened_at: IsoDatetime | None = Field(
        None,
        description="Waktu skrining di perangkat, ISO 8601 dengan zona waktu (mis. 2026-11-28T09:30:00+07:00).",
    )


class SubstanceScoreOut(Schema):
    score: int = Field(description="Specific Substance Involvement Score (Q2-Q7).")
    risk: Literal["low", "moderate", "high"]
    action: Literal["brief_advice", "brief_intervention", "referral"]


class ScreeningEscalationOut(Schema):
    id: uuid.UUID


class ScreeningOut(Schema):
    id: uuid.UUID
    client_id: uuid.UUID
    screened_at: datetime
    substances: dict[str, SubstanceScoreOut] = Field(description="Hanya zat yang pernah digunakan.")
    highest_risk: str = Field(description="none, low, moderate atau high.")
    action: str = Field(description="Tindakan terkuat yang dianjurkan.")
    injected_recently: bool
    needs_escalation: bool
    escalation: ScreeningEscalationOut | None
    escalation_blocked_reason: str | None = Field(
        description="Mengapa eskalasi belum dibuat, mis. consent_required (kebutuhan tetap tercatat)."
    )
    client_status: str


# --- visits and timeline --------------------------------------------------------------------------------------


class PointOut(Schema):
    lat: float
    lon: float


class VisitOut(Schema):
    """One support visit: the same record in GET /clients/{id}/visits, the sync feed and a stale upload's answer."""

    id: uuid.UUID
    client_id: uuid.UUID = Field(description="Klien yang dikunjungi.")
    occurred_at: datetime = Field(description="Waktu kunjungan menurut perangkat.")
    received_at: datetime = Field(description="Waktu server menerima kunjungan.")
    type: VisitType = Field(description="Jenis kunjungan.")
    participants: list[str] = Field(description='Peserta: "client" dan/atau id anggota keluarga.')
    location: PointOut | None = Field(description="Titik GPS kunjungan, bila ada.")
    latitude: float | None = Field(
        description="Lintang GPS (sama dengan location.lat), seperti yang diunggah."
    )
    longitude: float | None = Field(
        description="Bujur GPS (sama dengan location.lon), seperti yang diunggah."
    )
    location_accuracy_m: float | None = Field(description="Akurasi lokasi dalam meter.")
    outcome: str = Field(description="Hasil kunjungan (kode singkat).")
    notes: str
    next_visit_on: date | None = Field(description="Rencana tanggal kunjungan berikut.")
    screening_id: uuid.UUID | None = Field(description="Skrining ASSIST yang dilakukan pada kunjungan ini.")
    logged_by: PersonRef = Field(description="Yang mencatat kunjungan.")
    logged_by_id: uuid.UUID = Field(description="Id yang mencatat kunjungan (sama dengan logged_by.id).")
    version: int
    updated_at: datetime = Field(description="Terakhir diubah.")


class VisitPageOut(Schema):
    items: list[VisitOut]
    count: int
    limit: int
    offset: int
    has_more: bool


class TimelineItemOut(Schema):
    kind: Literal[
        "visit",
        "screening",
        "status_change",
        "escalation",
        "escalation_to_coordinator",
        "escalation_scheduled",
        "escalation_outcome",
        "escalation_closed",
        "escalation_cancelled",
        "offer_accepted",
        "family_link",
        "family_unlink",
        "consent",
        "contact_attempt",
    ]
    id: uuid.UUID
    at: datetime
    data: dict[str, Any] = Field(description="Rincian menurut jenis peristiwa.")


class TimelinePageOut(Schema):
    items: list[TimelineItemOut]
    count: int
    limit: int
    offset: int
    has_more: bool


class CorrectionOut(Schema):
    """One field changed by an edit of the client or of a linked family member (the correction history)."""

    id: uuid.UUID
    entity: Literal["client", "family_member"]
    member_id: uuid.UUID | None = Field(description="Anggota keluarga yang diubah (entity family_member).")
    field: str
    old_value: Any = Field(
        description="Nilai sebelumnya (null bila tidak disimpan: nomor HP anggota keluarga, atau sudah dihapus); "
        "NIK hanya sebagai {on_file}."
    )
    new_value: Any
    reason: str
    changed_by: PersonRef
    at: datetime
    version: int = Field(description="Versi data setelah perubahan.")
    erased: bool = Field(description="Nilai dan alasan dihapus oleh penghapusan data (UU 27/2022).")


class CorrectionPageOut(Schema):
    items: list[CorrectionOut]
    count: int
    limit: int
    offset: int
    has_more: bool
