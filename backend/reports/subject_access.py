"""The subject access record (backend/reads/subject_access.py) as a readable XLSX: one sheet per section, a
header row of the section's fields, one row per entry; lists and objects (substances, scores) as JSON text."""

from __future__ import annotations

import io
import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

SHEET_TITLES: dict[str, Any] = {
    "client": _("Klien"),
    "family_links": _("Keluarga"),
    "consents": _("Persetujuan"),
    "status_history": _("Riwayat status"),
    "screenings": _("Skrining"),
    "visits": _("Kunjungan"),
    "contact_attempts": _("Upaya kontak"),
    "escalations": _("Eskalasi"),
    "tasks": _("Tugas"),
    "corrections": _("Riwayat perbaikan"),
    "access_log": _("Log akses"),
}


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def subject_access_xlsx(*, record: dict[str, Any]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in record["sections"].items():
        sheet = book.create_sheet(str(SHEET_TITLES.get(name, name))[:31])
        columns = list(rows[0]) if rows else []
        sheet.append(columns or [str(_("(kosong)"))])
        for row in rows:
            sheet.append([_cell(row[c]) for c in columns])
        for i, column in enumerate(columns, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(
                12, len(column) + 2
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
