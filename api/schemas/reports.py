"""Schemas of the monthly monitoring report. Handler: api/routers/reports.py."""

from __future__ import annotations

import uuid
from datetime import datetime

from ninja import Field, Schema


class ReportFiguresOut(Schema):
    """Each figure is null when hidden as a small count (1-4) in a facility admin's report by village."""

    clients_registered: int | None = Field(description="Klien baru terdaftar dalam bulan ini.")
    clients_active: int | None = Field(
        description="Klien berstatus aktif pada akhir bulan (menurut riwayat status)."
    )
    screenings: int | None = Field(description="Skrining ASSIST dalam bulan ini.")
    screenings_high_risk: int | None = Field(description="Skrining dengan risiko tinggi.")
    screenings_injecting: int | None = Field(
        description="Skrining dengan penggunaan suntik 3 bulan terakhir."
    )
    escalations_created: int | None = Field(description="Eskalasi dibuat dalam bulan ini.")
    escalations_accepted: int | None = Field(description="Eskalasi diterima petugas dalam bulan ini.")
    escalations_waiting: int | None = Field(description="Eskalasi yang masih menunggu pada akhir bulan.")
    escalations_to_coordinator: int | None = Field(
        description="Eskalasi diteruskan ke koordinator dalam bulan ini."
    )
    clients_in_treatment: int | None = Field(
        description="Klien rawat jalan, rawat inap atau metadon pada akhir bulan."
    )
    clients_post_rehab: int | None = Field(description="Klien pascarehabilitasi pada akhir bulan.")
    clients_dropped_out: int | None = Field(description="Klien yang putus program dalam bulan ini.")
    clients_lost_contact: int | None = Field(description="Klien yang putus kontak dalam bulan ini.")
    visits: int | None = Field(description="Kunjungan pendampingan dalam bulan ini.")
    clients_visited: int | None = Field(description="Klien dengan sedikitnya satu kunjungan dalam bulan ini.")
    clients_without_visit_30d: int | None = Field(
        description="Klien aktif (terdaftar >= 30 hari) tanpa kunjungan dalam 30 hari terakhir bulan ini."
    )


class ReportRowOut(Schema):
    code: str = Field(description="Kode Kemendagri wilayah anak (baris jumlah: wilayah laporan).")
    name: str
    figures: ReportFiguresOut
    suppressed: bool = Field(
        False, description="Benar bila sedikitnya satu angka disembunyikan (1-4 kasus) dan diberi null."
    )


class ReportColumnOut(Schema):
    key: str = Field(description="Nama angka di `figures`.")
    label: str = Field(description="Judul kolom dalam bahasa pengguna.")


class ReportAreaOut(Schema):
    code: str
    name: str
    level: str


class ReportFacilityOut(Schema):
    id: uuid.UUID
    code: str
    name: str


class MonthlyReportOut(Schema):
    month: str = Field(description="YYYY-MM.")
    timezone: str = Field(description="Zona waktu wilayah yang menentukan batas bulan.")
    period_start: datetime = Field(description="Awal bulan (UTC).")
    period_end: datetime = Field(description="Akhir bulan, eksklusif (UTC).")
    area: ReportAreaOut | None = Field(description="Wilayah laporan; null: seluruh Indonesia.")
    facility: ReportFacilityOut | None = Field(description="Fasilitas (laporan kasus fasilitas).")
    columns: list[ReportColumnOut]
    rows: list[ReportRowOut] = Field(description="Satu baris per wilayah anak.")
    total: ReportRowOut


class PostRehabQuotaOut(Schema):
    area: str
    year: int
    places: int | None = Field(
        description="Kuota pascarehabilitasi wilayah untuk tahun ini; null bila belum diatur."
    )
    used: int = Field(
        description="Klien yang masuk pascarehabilitasi pada tahun ini di wilayah (sekali per klien)."
    )
    remaining: int | None = Field(
        description="places - used (negatif bila melebihi kuota); null tanpa kuota."
    )
    over: bool = Field(description="Melebihi kuota.")
