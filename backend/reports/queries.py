"""The figures of the monthly monitoring report (DOMAIN.md "What is reported"), per child area with a total.

Every figure is an aggregate computed in PostgreSQL: each query groups by the child area's code, which is a
prefix of the client's village code (`Substr(village_id, 1, n)`: Kemendagri codes nest by dotted prefix), and
counts with conditional `COUNT(...) FILTER (WHERE ...)`. Six queries in all, whatever the number of clients.

Statuses are taken *as of the end of the month* from the status history (ClientStatusChange), never from
today's status, so the report of a past month does not change when a client's status changes later:
the status at instant T is the `to_status` of the last change before T, else the `from_status` of the first
change after T (the status the client was registered with), else the current status (it never changed).

A facility's report covers the cases the facility took on (the escalation's facility, or an offer accepted by
its staff), never those it was only offered, declined or let expire: its admin sees only the former.
In a facility admin's report (spec.small_cells_hidden) village rows show a count of 1 to SMALL_CELL_MAX as
null with `suppressed: true`, and the total hides every figure hidden in some row (else the total minus the
rows shown would give it back): a handful of a facility's cases in one village points at people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Substr

from backend.escalations.models import Escalation, EscalationStatus, OfferStatus
from backend.recovery.lifecycle import ACTIVE, IN_TREATMENT, ClientStatus
from backend.recovery.models import Client, ClientStatusChange, Screening, Visit
from backend.reports.selectors import ReportSpec
from villages.models import Region, RegionLevel

# Counts from 1 to this are hidden in the village rows of a facility admin's report (small-cell suppression).
SMALL_CELL_MAX = 4

# Days without a visit after which an active client is flagged (the lost-contact early warning).
NO_VISIT_DAYS = 30

# The figures in report order. Labels live in exports.py (one place for the Indonesian text).
FIGURES = (
    "clients_registered",
    "clients_active",
    "screenings",
    "screenings_high_risk",
    "screenings_injecting",
    "escalations_created",
    "escalations_accepted",
    "escalations_waiting",
    "escalations_to_coordinator",
    "clients_in_treatment",
    "clients_post_rehab",
    "clients_dropped_out",
    "clients_lost_contact",
    "visits",
    "clients_visited",
    "clients_without_visit_30d",
)

# Length of a child's code below each level: 62 -> 62.06 -> 62.06.02 -> 62.06.02.1003.
_CHILD_SUFFIX = {RegionLevel.PROVINCE: 3, RegionLevel.REGENCY: 3, RegionLevel.DISTRICT: 5}


@dataclass
class ReportRow:
    code: str
    name: str
    # None: a small count hidden (see SMALL_CELL_MAX); `suppressed` then says so.
    figures: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    suppressed: bool = False


@dataclass
class MonthlyReport:
    spec: ReportSpec
    rows: list[ReportRow]
    total: ReportRow


def _child_code_length(area: Region | None) -> int:
    if area is None:
        return 2  # the whole country breaks down by province
    return len(area.code) + _CHILD_SUFFIX.get(area.level, 0)  # a village is its own only row


def _population(spec: ReportSpec, client: str = "") -> Q:
    """The clients of the report, named through `client` (e.g. "client__" from a visit): those of the area,
    and for a facility report only the cases escalated to that facility."""
    q = Q()
    if spec.area is not None:
        code = spec.area.code
        q &= Q(**{f"{client}village_id": code}) | Q(**{f"{client}village__code__startswith": code + "."})
    if spec.facility is not None:
        q &= Q(**{f"{client}id__in": _facility_escalations(spec).values("client_id")})
    return q


def _facility_escalations(spec: ReportSpec) -> QuerySet[Escalation]:
    """The escalations the facility took on. One filter on the same offer row: an offer to the facility counts
    only once accepted (declined, expired, withdrawn or still pending: not the facility's case)."""
    fid = spec.facility.id  # type: ignore[union-attr]
    return Escalation.objects.filter(
        Q(facility_id=fid) | Q(offers__facility_id=fid, offers__status=OfferStatus.ACCEPTED)
    )


def _in_month(spec: ReportSpec, name: str) -> Q:
    return Q(**{f"{name}__gte": spec.start, f"{name}__lt": spec.end})


def _grouped(qs: QuerySet[Any], village_field: str, n: int, **aggregates: Any) -> dict[str, dict[str, int]]:
    rows = (
        qs.annotate(area_code=Substr(village_field, 1, n))
        .values("area_code")
        .annotate(**aggregates)
        .order_by()
    )
    return {r.pop("area_code"): r for r in rows}


def _client_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    changes = ClientStatusChange.objects.filter(client_id=OuterRef("pk"))
    before = changes.filter(at__lt=spec.end).order_by("-at").values("to_status")[:1]
    after = changes.filter(at__gte=spec.end).order_by("at").values("from_status")[:1]
    window_start = spec.end - timedelta(days=NO_VISIT_DAYS)
    recent_visit = Visit.objects.filter(
        client_id=OuterRef("pk"), occurred_at__gte=window_start, occurred_at__lt=spec.end
    )
    qs = Client.objects.filter(_population(spec), created_at__lt=spec.end)
    qs = qs.annotate(
        status_at_end=Coalesce(Subquery(before), Subquery(after), F("status")),
        visited_recently=Exists(recent_visit),
    )
    active = Q(status_at_end__in=list(ACTIVE))
    return _grouped(
        qs,
        "village_id",
        n,
        clients_registered=Count("id", filter=_in_month(spec, "created_at")),
        clients_active=Count("id", filter=active),
        clients_in_treatment=Count("id", filter=Q(status_at_end__in=list(IN_TREATMENT))),
        clients_post_rehab=Count("id", filter=Q(status_at_end=ClientStatus.POST_REHAB)),
        # Only clients registered before the 30-day window: a newcomer is not yet a missed visit.
        clients_without_visit_30d=Count(
            "id", filter=active & Q(created_at__lt=window_start, visited_recently=False)
        ),
    )


def _exit_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    qs = ClientStatusChange.objects.filter(
        _in_month(spec, "at"),
        _population(spec, "client__"),
        to_status__in=[ClientStatus.DROPPED_OUT, ClientStatus.LOST_CONTACT],
    )
    return _grouped(
        qs,
        "client__village_id",
        n,
        clients_dropped_out=Count("client_id", distinct=True, filter=Q(to_status=ClientStatus.DROPPED_OUT)),
        clients_lost_contact=Count("client_id", distinct=True, filter=Q(to_status=ClientStatus.LOST_CONTACT)),
    )


def _screening_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    qs = Screening.objects.filter(_in_month(spec, "screened_at"), _population(spec, "client__"))
    return _grouped(
        qs,
        "client__village_id",
        n,
        screenings=Count("id"),
        screenings_high_risk=Count("id", filter=Q(highest_risk="high")),
        screenings_injecting=Count("id", filter=Q(injected_recently=True)),
    )


def _escalation_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    qs = Escalation.objects.filter(_population(spec, "client__"), created_at__lt=spec.end)
    if spec.facility is not None:
        qs = qs.filter(id__in=_facility_escalations(spec).values("id"))
    # Waiting at month end: created by then and not yet accepted, closed or cancelled by then. A cancellation
    # has no timestamp of its own, so a cancelled escalation counts as no longer waiting.
    waiting = (
        (Q(accepted_at__isnull=True) | Q(accepted_at__gte=spec.end))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=spec.end))
        & ~Q(status=EscalationStatus.CANCELLED)
    )
    return _grouped(
        qs,
        "client__village_id",
        n,
        escalations_created=Count("id", filter=_in_month(spec, "created_at")),
        escalations_accepted=Count("id", filter=_in_month(spec, "accepted_at")),
        escalations_waiting=Count("id", filter=waiting),
        escalations_to_coordinator=Count("id", filter=_in_month(spec, "to_coordinator_at")),
    )


def _visit_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    qs = Visit.objects.filter(_in_month(spec, "occurred_at"), _population(spec, "client__"))
    return _grouped(
        qs,
        "client__village_id",
        n,
        visits=Count("id"),
        clients_visited=Count("client_id", distinct=True),
    )


def _child_names(spec: ReportSpec) -> dict[str, str]:
    if spec.area is None:
        qs = Region.objects.filter(level=RegionLevel.PROVINCE)
    elif spec.area.level == RegionLevel.VILLAGE:
        return {spec.area.code: spec.area.name}
    else:
        qs = Region.objects.filter(parent_id=spec.area.code)
    return dict(qs.order_by("code").values_list("code", "name"))


def monthly_report(*, spec: ReportSpec) -> MonthlyReport:
    """The report of `spec` (see report_spec_for): one row per child area, every child listed even at zero,
    plus the total. Every figure is additive (a client lives in one village), so the total is the row sum."""
    n = _child_code_length(spec.area)
    names = _child_names(spec)
    rows = {code: ReportRow(code=code, name=name) for code, name in names.items()}
    for part in (
        _client_figures,
        _exit_figures,
        _screening_figures,
        _escalation_figures,
        _visit_figures,
    ):
        for code, figures in part(spec, n).items():
            row = rows.setdefault(code, ReportRow(code=code, name=""))
            row.figures.update({k: int(v) for k, v in figures.items()})
    ordered = [rows[c] for c in sorted(rows)]
    total = ReportRow(
        code=spec.area.code if spec.area else "",
        name=spec.area.name if spec.area else "",
        figures={k: sum(r.figures[k] or 0 for r in ordered) for k in FIGURES},
    )
    if spec.small_cells_hidden and _rows_are_villages(spec):
        _suppress_small_cells(rows=ordered, total=total)
    return MonthlyReport(spec=spec, rows=ordered, total=total)


def _rows_are_villages(spec: ReportSpec) -> bool:
    return spec.area is not None and spec.area.level in (RegionLevel.DISTRICT, RegionLevel.VILLAGE)


def _suppress_small_cells(*, rows: list[ReportRow], total: ReportRow) -> None:
    """Hide the counts 1..SMALL_CELL_MAX of `rows`, and every total figure hidden in some row (the total is the
    row sum: with one row hidden it would give that row back)."""
    for row in rows:
        for k in FIGURES:
            value = row.figures[k]
            if value is not None and 0 < value <= SMALL_CELL_MAX:
                row.figures[k] = None
                row.suppressed = True
                if total.figures[k] is not None:
                    total.figures[k] = None
                    total.suppressed = True
