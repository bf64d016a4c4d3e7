"""The monthly report as a file: labels (Indonesian msgids), CSV with a UTF-8 BOM, and XLSX (openpyxl).

Both files hold the same table as the JSON: one row per child area, then the total row; the XLSX adds the
12-month series, the field workers' figures and what the report covers. Aggregates only.
A hidden small count (null in the JSON) is "<5"; a cell hidden so that a small count cannot be worked out from a
total is "*" (suppression.py).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from backend.recovery.assist import SUBSTANCES
from backend.recovery.models import ContactResult, VisitType
from backend.reports.figures import (
    CONTACT_RESULT_FIGURES,
    FIGURES,
    MEASURES,
    SUBSTANCE_FIGURES,
    VISIT_TYPE_FIGURES,
)
from backend.reports.queries import MonthlyReport, ReportRow
from backend.reports.series import WORKER_FIGURES, WorkerRow

SUBSTANCE_LABELS: dict[str, Any] = {
    "tobacco": _("tembakau"),
    "alcohol": _("alkohol"),
    "cannabis": _("ganja"),
    "cocaine": _("kokain"),
    "amphetamines": _("stimulan jenis amfetamin (sabu)"),
    "inhalants": _("inhalansia"),
    "sedatives": _("sedatif atau obat tidur"),
    "hallucinogens": _("halusinogen"),
    "opioids": _("opioid"),
    "other": _("zat lain"),
}
assert set(SUBSTANCE_LABELS) == set(SUBSTANCES)

LABELS: dict[str, Any] = {
    "clients_registered": _("Klien baru terdaftar"),
    "clients_active_start": _("Klien aktif awal bulan"),
    "clients_active": _("Klien aktif akhir bulan"),
    "clients_community_recovery": _("Klien dalam pemulihan berbasis masyarakat akhir bulan"),
    "screenings": _("Skrining"),
    "screenings_risk_none": _("Skrining tanpa risiko"),
    "screenings_risk_low": _("Skrining risiko rendah"),
    "screenings_risk_moderate": _("Skrining risiko sedang"),
    "screenings_high_risk": _("Skrining risiko tinggi"),
    "screenings_injecting": _("Skrining menyuntik (3 bulan terakhir)"),
    "visits": _("Kunjungan pendampingan"),
    "clients_visited": _("Klien yang dikunjungi"),
    "clients_without_visit_30d": _("Klien aktif tanpa kunjungan 30 hari terakhir"),
    "contact_attempts": _("Upaya kontak"),
    "clients_recontacted": _("Klien terhubung kembali setelah putus"),
    "escalations_created": _("Eskalasi dibuat"),
    "escalations_accepted": _("Eskalasi diterima"),
    "escalations_declined": _("Eskalasi ditolak petugas"),
    "escalations_expired": _("Eskalasi kedaluwarsa tanpa jawaban"),
    "escalations_to_coordinator": _("Eskalasi diteruskan ke koordinator"),
    "escalations_cancelled": _("Eskalasi dibatalkan"),
    "escalations_waiting": _("Eskalasi menunggu akhir bulan"),
    "clients_in_treatment": _("Klien dalam perawatan akhir bulan"),
    "clients_outpatient": _("Klien rawat jalan akhir bulan"),
    "clients_inpatient": _("Klien rawat inap akhir bulan"),
    "clients_methadone": _("Klien terapi rumatan metadon akhir bulan"),
    "clients_post_rehab": _("Klien pascarehabilitasi akhir bulan"),
    "clients_dropped_out": _("Klien putus program (DO)"),
    "clients_lost_contact": _("Klien putus kontak"),
    "acceptance_hours_median": _("Waktu sampai diterima, median (jam)"),
    "acceptance_hours_p90": _("Waktu sampai diterima, persentil 90 (jam)"),
    "dropout_rate": _("Angka putus program (%)"),
    "visits_by_type": _("Kunjungan: %(type)s"),
    "contacts_by_result": _("Upaya kontak: %(result)s"),
    "screenings_by_substance": _("Skrining %(substance)s risiko sedang/tinggi"),
}
WORKER_LABELS: dict[str, Any] = {
    "visits": _("Kunjungan"),
    "contact_attempts": _("Upaya kontak"),
    "tasks_on_time": _("Tugas selesai tepat waktu"),
    "tasks_late": _("Tugas selesai terlambat"),
    "tasks_open": _("Tugas masih terbuka akhir bulan"),
}
DEFINITIONS: dict[str, Any] = {
    "dropout_rate": _(
        "Angka putus program: klien yang putus program atau putus kontak dalam bulan ini, dibagi klien aktif "
        "pada awal bulan ditambah klien baru terdaftar dalam bulan ini, dalam persen."
    ),
    "clients_recontacted": _(
        "Klien terhubung kembali: klien yang statusnya dalam bulan ini berubah dari putus program atau putus "
        "kontak menjadi aktif kembali."
    ),
    "suppression": _(
        'Angka 1-4 pada baris desa ditampilkan "<5"; sel bertanda "*" disembunyikan agar angka kecil tidak '
        "dapat dihitung dari jumlah."
    ),
}


def label(key: str) -> str:
    """The column label of a figure or measure, in the active language."""
    for prefix, mapping, param, names in (
        ("visits_", VISIT_TYPE_FIGURES, "type", dict(VisitType.choices)),
        ("contact_attempts_", CONTACT_RESULT_FIGURES, "result", dict(ContactResult.choices)),
        ("screenings_substance_", SUBSTANCE_FIGURES, "substance", SUBSTANCE_LABELS),
    ):
        if key.startswith(prefix) and key in mapping.values():
            raw = next(k for k, v in mapping.items() if v == key)
            template = {"type": "visits_by_type", "result": "contacts_by_result"}.get(
                param, "screenings_by_substance"
            )
            return str(LABELS[template]) % {param: names[raw]}
    return str(LABELS[key])


COLUMNS = (*FIGURES, *MEASURES)

# The media types of the downloads made here (and of the subject-access XLSX): one table for the API and the web view.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
assert all(label(k) for k in COLUMNS)

CODE_LABEL = _("Kode wilayah")
NAME_LABEL = _("Nama wilayah")
TOTAL_LABEL = _("Jumlah")


def report_filename(*, report: MonthlyReport, ext: str) -> str:
    """E.g. pulih-laporan-62.06-2026-10.csv; a facility report names the facility's code."""
    spec = report.spec
    parts = ["pulih-laporan"]
    if spec.area is not None:
        parts.append(spec.area.code)
    if spec.facility is not None:
        parts.append(spec.facility.code)
    if spec.area is None and spec.facility is None:
        parts.append("nasional")
    parts.append(spec.month_label)
    return "-".join(parts) + f".{ext}"


def _cell(row: ReportRow, key: str) -> Any:
    if key in row.hidden:
        return row.hidden[key]
    if key in row.figures:
        return row.figures[key]
    return row.measures[key]


def _measure_hidden(row: ReportRow, key: str) -> bool:
    return key in MEASURES and row.measures[key] is None and bool(row.hidden)


def report_table(*, report: MonthlyReport) -> list[list[Any]]:
    """Header, one row per child area, the total row: the rows of both files. Hidden cells carry their mark
    ("<5" or "*"); a measure hidden with its counts is "*"; a measure without data is empty."""

    def cells(row: ReportRow) -> list[Any]:
        return ["*" if _measure_hidden(row, k) else _cell(row, k) for k in COLUMNS]

    header = [str(CODE_LABEL), str(NAME_LABEL)] + [label(k) for k in COLUMNS]
    rows = [[r.code, r.name, *cells(r)] for r in report.rows]
    total = [report.total.code, str(TOTAL_LABEL), *cells(report.total)]
    return [header, *rows, total]


def report_csv(*, report: MonthlyReport) -> bytes:
    """Comma-separated, with a UTF-8 byte order mark so that Excel reads the text as UTF-8."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in report_table(report=report):
        writer.writerow(row)
    return buf.getvalue().encode("utf-8-sig")


def report_xlsx(
    *, report: MonthlyReport, series: dict[str, Any] | None = None, workers: list[WorkerRow] | None = None
) -> bytes:
    """Sheets: the table (codes as text, figures as numbers, hidden cells as their mark), the 12-month series,
    the field workers, and what the report covers with the definitions."""
    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Laporan"))
    for row in report_table(report=report):
        ws.append(row)
    ws.freeze_panes = "C2"
    if series is not None:
        sheet = wb.create_sheet(str(_("12 bulan")))
        sheet.append([str(_("Bulan")), *(label(k) for k in series if k != "months")])
        for i, month in enumerate(series["months"]):
            sheet.append([month, *(v[i] for k, v in series.items() if k != "months")])
    if workers:
        sheet = wb.create_sheet(str(_("Petugas lapangan")))
        sheet.append([str(_("Nama")), *(str(WORKER_LABELS[k]) for k in WORKER_FIGURES)])
        for w in workers:
            sheet.append([w.name, *(getattr(w, k) for k in WORKER_FIGURES)])
    spec = report.spec
    about = wb.create_sheet(str(_("Keterangan")))
    about.append([str(_("Wilayah")), f"{spec.area.code} {spec.area.name}" if spec.area else ""])
    about.append([str(_("Fasilitas")), spec.facility.name if spec.facility else ""])
    about.append([str(_("Bulan")), spec.month_label])
    about.append([str(_("Zona waktu")), spec.tz.key])
    for text in DEFINITIONS.values():
        about.append([str(text)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row_json(r: ReportRow) -> dict[str, Any]:
    return {
        "code": r.code,
        "name": r.name,
        "figures": r.figures,
        "measures": r.measures,
        "suppressed": r.suppressed,
        "hidden": r.hidden,
    }


def report_json(
    *, report: MonthlyReport, series: dict[str, Any] | None = None, workers: list[WorkerRow] | None = None
) -> dict[str, Any]:
    """The report as the API's JSON (MonthlyReportOut): labels in the request's language."""
    spec = report.spec
    return {
        "month": spec.month_label,
        "timezone": spec.tz.key,
        "period_start": spec.start,
        "period_end": spec.end,
        "area": (
            {"code": spec.area.code, "name": spec.area.name, "level": spec.area.level} if spec.area else None
        ),
        "facility": (
            {"id": spec.facility.id, "code": spec.facility.code, "name": spec.facility.name}
            if spec.facility
            else None
        ),
        "columns": [{"key": k, "label": label(k)} for k in COLUMNS],
        "definitions": {k: str(v) for k, v in DEFINITIONS.items()},
        "rows": [_row_json(r) for r in report.rows],
        "total": {**_row_json(report.total), "name": report.total.name or str(TOTAL_LABEL)},
        "series": series,
        "workers": [vars(w) for w in workers or []],
    }
