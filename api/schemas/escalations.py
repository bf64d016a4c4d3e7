"""Schemas of escalations and field tasks. Handlers are in api/routers/escalations.py and tasks.py."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from api.schemas.accounts import ErrorBodyOut
from api.schemas.base import InSchema, IsoDatetime
from backend.tasks.models import TaskKind

NeedLit = Literal["counseling", "assessment", "treatment", "reporting"]
UrgencyLit = Literal["routine", "urgent"]
OutcomeLit = Literal["outpatient", "inpatient", "methadone", "community_follow_up", "no_treatment_needed"]
EscalationStatusLit = Literal[
    "offered",
    "with_coordinator",
    "accepted",
    "scheduled",
    "outcome_recorded",
    "referred",
    "closed",
    "cancelled",
]


def _text(max_length: int) -> type[str]:
    """Required free text: surrounding whitespace stripped, then at least one character (422 `string_too_short`)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)]  # type: ignore[return-value]


Reason2000 = _text(2000)
Reason1000 = _text(1000)


class LocationIn(InSchema):
    lat: float = Field(ge=-90, le=90, description="Lintang (WGS 84).")
    lon: float = Field(ge=-180, le=180, description="Bujur (WGS 84).")


class EscalationCreateIn(InSchema):
    client_id: uuid.UUID
    need: NeedLit = Field(
        description="counseling (konselor adiksi), assessment (asesor), treatment (perawatan) atau reporting "
        "(wajib lapor); treatment dan reporting hanya di IPWL yang ditetapkan atau klinik BNN."
    )
    urgency: UrgencyLit = Field(
        "routine", description="routine (SLA 24 jam) atau urgent (SLA 2 jam), bawaan."
    )
    reason: Reason2000 = Field(description="Alasan eskalasi (wajib, bukan hanya spasi).")
    location: LocationIn | None = Field(
        None, description="Titik GPS klien; tanpa ini jarak diukur dari titik pusat desa."
    )


class DeclineIn(InSchema):
    reason: Reason1000 = Field(description="Alasan menolak (wajib, bukan hanya spasi).")


class CancelIn(InSchema):
    reason: Reason1000 = Field(description="Alasan pembatalan (wajib), mis. persetujuan ditarik.")
    version: int | None = Field(
        None, ge=1, description="Versi eskalasi yang terakhir dibaca; jika sudah berubah: 409 stale_version."
    )


class CloseIn(InSchema):
    version: int | None = Field(
        None, ge=1, description="Versi eskalasi yang terakhir dibaca; jika sudah berubah: 409 stale_version."
    )


class ScheduleIn(InSchema):
    appointment_at: IsoDatetime = Field(
        description="Waktu janji temu (ISO 8601 dengan offset), di masa depan, paling lambat 366 hari lagi."
    )
    version: int | None = Field(
        None, ge=1, description="Versi eskalasi yang terakhir dibaca; jika sudah berubah: 409 stale_version."
    )


class OutcomeIn(InSchema):
    outcome: OutcomeLit
    notes: str = Field("", max_length=4000, description="Catatan hasil asesmen.")
    diagnosis: str = Field(
        "", max_length=10, description="Diagnosis ICD-10 (mis. F15.2), milik fasilitas; untuk rekap IPWL."
    )
    refer_need: NeedLit | None = Field(
        None, description="Rujuk lanjut: kebutuhan eskalasi baru (dirutekan dari fasilitas ini)."
    )
    refer_to_facility_id: uuid.UUID | None = Field(
        None, description="Rujuk langsung ke fasilitas ini: ditawarkan kepada petugasnya saja."
    )
    version: int | None = Field(
        None, ge=1, description="Versi eskalasi yang terakhir dibaca; jika sudah berubah: 409 stale_version."
    )


class AssignIn(InSchema):
    staff_id: uuid.UUID = Field(description="Petugas bersertifikat yang ditawari kasus oleh koordinator.")
    version: int | None = Field(
        None, ge=1, description="Versi eskalasi yang terakhir dibaca; jika sudah berubah: 409 stale_version."
    )


class LegOut(Schema):
    mode: Literal["road", "ferry", "boat"]
    minutes: float


class OfferOut(Schema):
    id: uuid.UUID
    staff_id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    distance_km: float = Field(description="Jarak geodesik dari klien ke fasilitas (km).")
    tier: Literal["catchment", "travel_time", "fallback", ""] = Field(
        "",
        description="Tingkat perutean: wilayah kerja sendiri, waktu tempuh, atau garis lurus (tanpa jaringan).",
    )
    travel_minutes: float | None = Field(None, description="Waktu tempuh dari desa klien (menit).")
    legs: list[LegOut] = Field(default_factory=list, description="Ruas perjalanan: jalan, feri, perahu.")
    leave_reason: Literal["availability", "capacity", "geography", ""] = Field(
        "", description="Mengapa kasus keluar dari wilayah kerja sendiri."
    )
    status: Literal["pending", "accepted", "declined", "expired", "withdrawn"]
    offered_at: datetime
    expires_at: datetime = Field(description="Batas waktu menjawab (SLA).")
    answered_at: datetime | None
    decline_reason: str


class RoutingRowOut(Schema):
    user_id: uuid.UUID
    name: str
    facility_id: uuid.UUID
    facility: str
    distance_km: float | None = Field(description="Kosong bila tidak ada titik asal (penugasan manual).")
    caseload: int = Field(description="Kasus terbuka + tawaran yang menunggu.")
    minutes: float | None = Field(
        None, description="Waktu tempuh dari desa klien (menit), bila ada jaringan."
    )
    legs: list[LegOut] = Field(default_factory=list)
    catchment: bool | None = Field(
        None, description="Fasilitas dalam wilayah kerja klien (atau BNN/IPWL kabupaten)."
    )


class ConsideredOut(RoutingRowOut):
    eligible: bool


class PassedOverOut(RoutingRowOut):
    reason: Literal[
        "certificate_expired",
        "on_leave",
        "caseload_full",
        "wrong_certificate",
        "already_declined",
        "inactive",
        "beyond_radius",
        "not_ipwl",
        "facility_full",
    ] = Field(description="Mengapa petugas ini dilewati.")


class OriginOut(Schema):
    lat: float
    lon: float
    source: Literal["gps", "village", "facility"]


class AssignedByOut(Schema):
    user_id: uuid.UUID
    name: str
    at: datetime


class RoutingDecisionOut(Schema):
    attempt: int | None = Field(None, description="Putaran perutean (1 = tawaran pertama).")
    decided_at: datetime | None = None
    day: date | None = Field(
        None, description="Tanggal di zona waktu wilayah klien yang dipakai untuk kelayakan."
    )
    time_zone: str | None = None
    radius_km: int | None = Field(None, description="Radius rujukan maksimum wilayah.")
    max_travel_minutes: int | None = Field(None, description="Waktu tempuh maksimum wilayah (menit).")
    method: Literal["travel_time", "straight_line"] | None = Field(
        None, description="travel_time (jaringan jalan/feri/sungai dimuat) atau straight_line."
    )
    method_note: Literal["no_network", "off_network"] | None = Field(
        None, description="Mengapa garis lurus: belum ada jaringan, atau desa di luar jaringan."
    )
    tier: Literal["catchment", "travel_time", "fallback"] | None = None
    leave_reason: Literal["availability", "capacity", "geography"] | None = None
    origin: OriginOut | None = None
    considered: list[ConsideredOut] = Field(
        default_factory=list, description="Petugas terdekat yang ditimbang."
    )
    chosen: RoutingRowOut | None = None
    passed_over: list[PassedOverOut] = Field(default_factory=list)
    result: str | None = Field(None, description="offered, with_coordinator atau assigned_by_coordinator.")
    coordinator_reason: str | None = Field(
        None, description="no_candidate_in_radius, unreachable, max_attempts atau no_origin."
    )
    notified: Literal["coordinators", "system_admins"] | None = Field(
        None,
        description="Ke koordinator: siapa yang diberi tahu (admin sistem bila wilayah tidak punya koordinator).",
    )
    notified_user_ids: list[uuid.UUID] = Field(default_factory=list)
    assigned_by: AssignedByOut | None = Field(None, description="Koordinator yang menugaskan secara manual.")


class RoutingOut(RoutingDecisionOut):
    history: list[RoutingDecisionOut] = Field(
        default_factory=list, description="Keputusan perutean sebelumnya, yang terlama dahulu."
    )


class PreviousAppointmentOut(Schema):
    appointment_at: datetime
    scheduled_at: datetime | None = None
    replaced_at: datetime | None = None
    replaced_by: uuid.UUID | None = None


class EscalationOut(Schema):
    id: uuid.UUID
    access: Literal["full", "minimal"] = Field(
        description="minimal: Anda hanya ditawari kasus ini; jalannya kasus (hasil, petugas, fasilitas, janji "
        "temu sebelumnya) dikosongkan."
    )
    client_id: uuid.UUID
    client_code: str
    village_code: str
    need: NeedLit
    urgency: UrgencyLit
    reason: str
    status: EscalationStatusLit
    source: str = Field(description="manual, screening atau referral.")
    created_by_id: uuid.UUID | None
    assigned_to_id: uuid.UUID | None
    assigned_to_name: str | None
    facility_id: uuid.UUID | None
    facility_name: str | None
    attempts: int = Field(description="Jumlah tawaran yang ditolak atau kedaluwarsa.")
    appointment_at: datetime | None
    outcome: str = Field(description="Hasil asesmen; kosong sebelum dicatat.")
    outcome_notes: str
    diagnosis: str = Field("", description="Diagnosis ICD-10 dari fasilitas, dicatat bersama hasil.")
    referred_from_id: uuid.UUID | None
    referred_to_facility_id: uuid.UUID | None
    created_at: datetime
    accepted_at: datetime | None
    scheduled_at: datetime | None
    outcome_at: datetime | None
    closed_at: datetime | None
    to_coordinator_at: datetime | None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    previous_appointments: list[PreviousAppointmentOut] = Field(
        default_factory=list, description="Janji temu yang digantikan oleh penjadwalan ulang, terlama dahulu."
    )
    version: int
    updated_at: datetime = Field(description="Terakhir diubah.")
    offer: OfferOut | None = Field(
        None, description="Bagi petugas: tawaran untuk dirinya; bagi yang lain: tawaran yang sedang terbuka."
    )
    routing: RoutingOut | None = Field(
        None,
        description="Penjelasan perutean (hanya untuk koordinator, admin, pembuat dan petugas lapangan desa).",
    )


class EscalationPageOut(Schema):
    items: list[EscalationOut]
    count: int
    limit: int
    offset: int
    has_more: bool


class EscalationConflictOut(Schema):
    error: ErrorBodyOut
    existing: dict | None = Field(
        None, description="escalation_open: eskalasi terbuka yang sudah ada, {id, status}."
    )
    missing_consent: str | None = Field(None, description="consent_required: persetujuan yang belum ada.")


class TaskOut(Schema):
    id: uuid.UUID
    kind: TaskKind = Field(description="Jenis tugas (backend/tasks/models.py TaskKind).")
    kind_label: str
    client_id: uuid.UUID
    client_code: str
    escalation_id: uuid.UUID | None
    assignee_id: uuid.UUID
    due_on: date = Field(description="Tenggat: tanggal di zona waktu wilayah klien.")
    overdue: bool = Field(description="Terbuka dan tenggat sebelum hari ini (zona waktu wilayah klien).")
    status: Literal["queued", "open", "done", "cancelled"] = Field(
        description=(
            "queued: ditahan oleh batas harian tugas tindak lanjut baru; belum menjadi tugas Anda, dibuka pada "
            "hari berikutnya (prioritas tertinggi dahulu). open: tugas Anda."
        )
    )
    priority: int = Field(
        ge=0,
        le=100,
        description=(
            "Prioritas 0-100, tertinggi dahulu (backend/tasks/priority.py: jenis tugas, tingkat tindak lanjut, "
            "pascarehabilitasi, urgensi). GET /tasks mengurutkan berdasarkan ini, lalu tenggat."
        ),
    )
    released_on: date | None = Field(
        description="Tanggal (zona waktu wilayah klien) tugas diberikan kepada petugas; null selama antre."
    )
    household: str | None = Field(
        description=(
            "Kunci rumah tangga: sama untuk tugas-tugas klien yang berbagi anggota keluarga tertaut, di antara "
            "tugas dalam jawaban ini (GET /tasks: seluruh daftar; feed: halaman). Kunci buram, tanpa makna; "
            "null bila tidak ada tugas lain dari rumah tangga yang sama. GET /tasks menempatkannya berurutan."
        )
    )
    completed_at: datetime | None
    completed_by_visit: uuid.UUID | None
    note: str
    version: int
    created_at: datetime
    updated_at: datetime


class TaskPageOut(Schema):
    items: list[TaskOut]
    count: int
    limit: int
    offset: int
    has_more: bool


class TaskCompleteIn(InSchema):
    visit_id: uuid.UUID | None = Field(None, description="Kunjungan yang menyelesaikan tugas ini (opsional).")
    note: str = Field("", max_length=2000)
    version: int | None = Field(
        None, ge=1, description="Versi tugas yang terakhir dibaca; jika sudah berubah: 409 stale_version."
    )
