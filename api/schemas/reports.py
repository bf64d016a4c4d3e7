"""Schemas of the monthly monitoring report. Handler: api/routers/reports.py."""

from __future__ import annotations

import uuid
from datetime import datetime

from ninja import Field, Schema
from pydantic import BaseModel, create_model

from backend.reports.exports import label
from backend.reports.figures import FIGURES, MEASURES

# One field per figure / measure, described by its Indonesian label (backend/reports/exports.py).
ReportFiguresOut = create_model(
    "ReportFiguresOut",
    __base__=Schema,
    __doc__="Counts of the month (null: hidden, see the row's `hidden`). Definitions: backend/reports/figures.py.",
    **{k: (int | None, Field(description=label(k))) for k in FIGURES},  # type: ignore[call-overload]
)
ReportMeasuresOut = create_model(
    "ReportMeasuresOut",
    __base__=Schema,
    __doc__="Not counts: each row computes its own (null: no data, or hidden with the counts it describes).",
    **{k: (float | None, Field(description=label(k))) for k in MEASURES},  # type: ignore[call-overload]
)


class ReportRowOut(Schema):
    code: str = Field(description="Kode Kemendagri wilayah anak (baris jumlah: wilayah laporan).")
    name: str
    figures: ReportFiguresOut  # type: ignore[valid-type]
    measures: ReportMeasuresOut  # type: ignore[valid-type]
    suppressed: bool = Field(False, description="Benar bila sedikitnya satu angka disembunyikan (null).")
    hidden: dict[str, str] = Field(
        default_factory=dict,
        description='Angka yang disembunyikan: "<5" (1-4 kasus) atau "*" (agar angka kecil tidak dapat '
        "dihitung dari jumlah). Hanya pada baris desa, untuk semua pembaca selain admin sistem.",
    )


class WorkerRowOut(BaseModel):
    """Plain pydantic, not ninja's Schema: a province's report has thousands of field workers, and Schema's
    per-object attribute getter doubled the time of the whole response (issue 11)."""

    user_id: uuid.UUID
    name: str
    visits: int
    contact_attempts: int
    tasks_on_time: int
    tasks_late: int
    tasks_open: int


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
    definitions: dict[str, str] = Field(description="Definisi tertulis (angka putus program, dsb.).")
    rows: list[ReportRowOut] = Field(description="Satu baris per wilayah anak.")
    total: ReportRowOut
    series: dict[str, list[int | str]] | None = Field(
        description="12 bulan terakhir (s.d. bulan laporan) angka utama wilayah: `months` dan satu daftar per "
        "angka. null untuk satu desa bagi pembaca selain admin sistem."
    )
    workers: list[WorkerRowOut] = Field(description="Per petugas lapangan (bukan pada laporan fasilitas).")


class IpwlCountOut(Schema):
    label: str
    count: int


class IpwlRecapOut(Schema):
    month: str
    area: str | None
    handled: int = Field(description="Klien yang hasilnya dicatat fasilitas IPWL dalam bulan ini.")
    tables: dict[str, list[IpwlCountOut]] = Field(
        description="substance, duration, route, diagnosis, treatment, history: label dan jumlah klien."
    )


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
