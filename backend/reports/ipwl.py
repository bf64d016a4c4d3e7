"""The IPWL recap (PP 25/2011 art. 18, as Kemenko PMK lists it: number handled, substance, duration of use, route
of use, diagnosis, treatment history) for an area and a month in its time zone, as aggregates and an XLSX file.

"Handled" means: an escalation of a client of the area whose outcome an IPWL facility (Facility.is_ipwl) recorded
during the month (one client once, their latest such outcome). What each count reads:
- substance: the client record's substances (one client may count for several);
- duration and route of use: the client record (use_duration_years, use_route), "not recorded" when empty;
- diagnosis: the facility's, recorded with the outcome (Escalation.diagnosis, an ICD-10 code);
- treatment given: the outcome; treatment history: whether the client had been in outpatient, inpatient or
  methadone treatment before that outcome (from the status history).
No identity: PP 25/2011's per-person report is the facility's own (SIRENA); Pulih hands over counts only. Every
figure is computed in SQL (one grouped query per table); the tables are regency-sized aggregates (no village rows),
so the village small-number rule does not apply.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from backend.escalations.models import Escalation
from backend.escalations.services.support import OUTCOMES
from backend.recovery.assist import SUBSTANCES
from backend.recovery.lifecycle import IN_TREATMENT
from backend.recovery.models import Client, ClientStatusChange, UseRoute
from backend.reports.exports import SUBSTANCE_LABELS
from backend.reports.queries import in_month, population
from backend.reports.selectors import ReportSpec

NOT_RECORDED = "-"
DURATION_BANDS = (("lt1", 0, 1), ("1_4", 1, 5), ("5_9", 5, 10), ("10plus", 10, None))
BAND_LABELS: dict[str, Any] = {
    "lt1": _("kurang dari 1 tahun"),
    "1_4": _("1-4 tahun"),
    "5_9": _("5-9 tahun"),
    "10plus": _("10 tahun atau lebih"),
    NOT_RECORDED: _("tidak dicatat"),
}
OUTCOME_LABELS: dict[str, Any] = {
    "outpatient": _("Rawat jalan"),
    "inpatient": _("Rawat inap"),
    "methadone": _("Terapi rumatan metadon"),
    "community_follow_up": _("Pendampingan di masyarakat"),
    "no_treatment_needed": _("Tidak perlu perawatan"),
}
assert set(OUTCOME_LABELS) == set(OUTCOMES)


@dataclass
class IpwlRecap:
    spec: ReportSpec
    handled: int
    tables: dict[str, list[tuple[str, int]]]  # table key -> [(label, count)]


def _handled(spec: ReportSpec) -> QuerySet[Escalation]:
    """The latest IPWL outcome of the month per client of the area."""
    qs = Escalation.objects.filter(
        population(spec, "client__"), in_month(spec, "outcome_at"), facility__is_ipwl=True
    )
    if spec.facility is not None:
        qs = qs.filter(facility_id=spec.facility.id)
    latest = qs.order_by("client_id", "-outcome_at").distinct("client_id").values("id")
    return Escalation.objects.filter(id__in=latest)


def _counts(qs: QuerySet[Any], key: str) -> dict[str, int]:
    return {str(k): n for k, n in qs.values_list(key).annotate(n=Count("id")).order_by()}


def ipwl_recap(*, spec: ReportSpec) -> IpwlRecap:
    handled = _handled(spec)
    clients = Client.objects.filter(id__in=handled.values("client_id"))
    duration = Case(
        *(
            When(
                Q(use_duration_years__gte=lo) & (Q(use_duration_years__lt=hi) if hi is not None else Q()),
                then=Value(key),
            )
            for key, lo, hi in DURATION_BANDS
        ),
        default=Value(NOT_RECORDED),
    )
    treated_before = Exists(
        ClientStatusChange.objects.filter(
            client_id=OuterRef("client_id"), to_status__in=list(IN_TREATMENT), at__lt=OuterRef("outcome_at")
        )
    )
    by_substance = clients.aggregate(
        **{s: Count("id", filter=Q(substances__contains=[s])) for s in SUBSTANCES}
    )
    durations = _counts(clients.annotate(band=duration), "band")
    routes = _counts(
        clients.annotate(route=Coalesce(NullIf("use_route", Value("")), Value(NOT_RECORDED))), "route"
    )
    diagnoses = _counts(
        handled.annotate(dx=Coalesce(NullIf("diagnosis", Value("")), Value(NOT_RECORDED))), "dx"
    )
    outcomes = _counts(handled, "outcome")
    history = _counts(handled.annotate(before=treated_before), "before")
    route_labels = {**dict(UseRoute.choices), NOT_RECORDED: BAND_LABELS[NOT_RECORDED]}
    tables = {
        "substance": [(str(SUBSTANCE_LABELS[s]), by_substance.get(s, 0)) for s in SUBSTANCES],
        "duration": [
            (str(BAND_LABELS[k]), durations.get(k, 0))
            for k in [*(b[0] for b in DURATION_BANDS), NOT_RECORDED]
        ],
        "route": [(str(route_labels[k]), routes.get(k, 0)) for k in [*UseRoute.values, NOT_RECORDED]],
        "diagnosis": sorted(
            ((str(BAND_LABELS[NOT_RECORDED]) if k == NOT_RECORDED else k, n) for k, n in diagnoses.items()),
        ),
        "treatment": [(str(OUTCOME_LABELS[k]), outcomes.get(k, 0)) for k in OUTCOMES],
        "history": [
            (str(_("Pernah dirawat sebelumnya")), history.get("True", 0)),
            (str(_("Belum pernah dirawat")), history.get("False", 0)),
        ],
    }
    return IpwlRecap(spec=spec, handled=clients.count(), tables=tables)


TABLE_TITLES: dict[str, Any] = {
    "substance": _("Zat yang digunakan"),
    "duration": _("Lama penggunaan"),
    "route": _("Cara penggunaan"),
    "diagnosis": _("Diagnosis (ICD-10, dari fasilitas)"),
    "treatment": _("Perawatan yang diberikan"),
    "history": _("Riwayat perawatan"),
}


def ipwl_xlsx(*, recap: IpwlRecap) -> bytes:
    """One sheet: what the recap covers, the number handled, then each table (label, count)."""
    spec = recap.spec
    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Rekap IPWL"))
    ws.append([str(_("Rekapitulasi IPWL (PP 25/2011 pasal 18)"))])
    ws.append([str(_("Wilayah")), f"{spec.area.code} {spec.area.name}" if spec.area else ""])
    ws.append([str(_("Bulan")), spec.month_label])
    ws.append([str(_("Zona waktu")), spec.tz.key])
    ws.append([str(_("Jumlah klien yang ditangani IPWL")), recap.handled])
    for key, rows in recap.tables.items():
        ws.append([])
        ws.append([str(TABLE_TITLES[key]), str(_("Jumlah klien"))])
        for label, n in rows:
            ws.append([label, n])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ipwl_filename(*, recap: IpwlRecap) -> str:
    spec = recap.spec
    return f"pulih-rekap-ipwl-{spec.area.code if spec.area else 'nasional'}-{spec.month_label}.xlsx"
