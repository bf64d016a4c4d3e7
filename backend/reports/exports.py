"""The monthly report as a file: labels (Indonesian msgids), CSV with a UTF-8 BOM, and XLSX (openpyxl).

Both files hold the same table as the JSON: one row per child area, then the total row. Aggregates only.
A hidden small count (null in the JSON, see queries.SMALL_CELL_MAX) is an empty cell.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from backend.reports.queries import FIGURES, MonthlyReport

LABELS: dict[str, Any] = {
    "clients_registered": _("Klien baru terdaftar"),
    "clients_active": _("Klien aktif akhir bulan"),
    "screenings": _("Skrining"),
    "screenings_high_risk": _("Skrining risiko tinggi"),
    "screenings_injecting": _("Skrining menyuntik (3 bulan terakhir)"),
    "escalations_created": _("Eskalasi dibuat"),
    "escalations_accepted": _("Eskalasi diterima"),
    "escalations_waiting": _("Eskalasi menunggu akhir bulan"),
    "escalations_to_coordinator": _("Eskalasi diteruskan ke koordinator"),
    "clients_in_treatment": _("Klien dalam perawatan akhir bulan"),
    "clients_post_rehab": _("Klien pascarehabilitasi akhir bulan"),
    "clients_dropped_out": _("Klien putus program (DO)"),
    "clients_lost_contact": _("Klien putus kontak"),
    "visits": _("Kunjungan pendampingan"),
    "clients_visited": _("Klien yang dikunjungi"),
    "clients_without_visit_30d": _("Klien aktif tanpa kunjungan 30 hari terakhir"),
}
assert set(LABELS) == set(FIGURES)

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


def report_table(*, report: MonthlyReport) -> list[list[Any]]:
    """Header, one row per child area, the total row: the rows of both files."""
    header = [str(CODE_LABEL), str(NAME_LABEL)] + [str(LABELS[k]) for k in FIGURES]
    rows = [[r.code, r.name] + [r.figures[k] for k in FIGURES] for r in report.rows]
    total = [report.total.code, str(TOTAL_LABEL)] + [report.total.figures[k] for k in FIGURES]
    return [header, *rows, total]


def report_csv(*, report: MonthlyReport) -> bytes:
    """Comma-separated, with a UTF-8 byte order mark so that Excel reads the text as UTF-8."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in report_table(report=report):
        writer.writerow(row)
    return buf.getvalue().encode("utf-8-sig")


def report_xlsx(*, report: MonthlyReport) -> bytes:
    """One sheet with the table (codes as text, figures as numbers), one sheet with what the report covers."""
    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Laporan"))
    for row in report_table(report=report):
        ws.append(row)
    ws.freeze_panes = "C2"
    spec = report.spec
    about = wb.create_sheet(str(_("Keterangan")))
    about.append([str(_("Wilayah")), f"{spec.area.code} {spec.area.name}" if spec.area else ""])
    about.append([str(_("Fasilitas")), spec.facility.name if spec.facility else ""])
    about.append([str(_("Bulan")), spec.month_label])
    about.append([str(_("Zona waktu")), spec.tz.key])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report_json(*, report: MonthlyReport) -> dict[str, Any]:
    """The report as the API's JSON (MonthlyReportOut): labels in the request's language."""
    spec = report.spec
    row = lambda r: {"code": r.code, "name": r.name, "figures": r.figures, "suppressed": r.suppressed}  # noqa: E731
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
        "columns": [{"key": k, "label": str(LABELS[k])} for k in FIGURES],
        "rows": [row(r) for r in report.rows],
        "total": {**row(report.total), "name": report.total.name or str(TOTAL_LABEL)},
    }
