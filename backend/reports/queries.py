"""The figures of the monthly monitoring report (DOMAIN.md "What is reported"), per child area with a total.

Every figure is an aggregate computed in PostgreSQL: each query groups by the child area's code, which is a
prefix of the client's village code (`Substr(village_id, 1, n)`: Kemendagri codes nest by dotted prefix), and
counts with conditional `COUNT(...) FILTER (WHERE ...)`. A fixed number of queries, whatever the number of clients.
The names and definitions of the figures are in figures.py.

Statuses are taken *as of an instant* from the status history (ClientStatusChange), never from today's status,
so the report of a past month does not change when a client's status changes later: the status at instant T is
the `to_status` of the last change before T, else the `from_status` of the first change after T (the status the
client was registered with), else the current status (it never changed).

A facility's report covers the cases the facility took on (the escalation's facility, or an offer accepted by
its staff), never those it was only offered, declined or let expire: its admin sees only the former.
For every reader below the system admin (spec.small_cells_hidden), a report whose rows are villages hides small
counts and their complements (suppression.py).

An area's counts are read from the monthly roll-up where it serves (rollup.py: the same figures stored per village
and closed month, summed over the area's villages; issue 11); the queries below remain the definition, and the
report of the whole country or of a facility's cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Extract, Substr

from backend.escalations.models import Escalation, EscalationStatus, Offer, OfferStatus
from backend.recovery.lifecycle import ACTIVE, IN_TREATMENT, ClientStatus
from backend.recovery.models import Client, ClientStatusChange, ContactAttempt, Screening, Visit
from backend.reports import rollup
from backend.reports.figures import (
    CONTACT_RESULT_FIGURES,
    FIGURES,
    MEASURES,
    SCREENING_RISK_FIGURES,
    SUBSTANCE_FIGURES,
    VISIT_TYPE_FIGURES,
    dropout_rate,
)
from backend.reports.selectors import ReportSpec
from backend.reports.suppression import hidden_measures, suppress
from villages.models import Region, RegionLevel

# Days without a visit after which an active client is flagged (the lost-contact early warning).
NO_VISIT_DAYS = 30

# Length of a child's code below each level: 62 -> 62.06 -> 62.06.02 -> 62.06.02.1003.
_CHILD_SUFFIX = {RegionLevel.PROVINCE: 3, RegionLevel.REGENCY: 3, RegionLevel.DISTRICT: 5}


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile: percentile_cont(f) WITHIN GROUP (ORDER BY expr)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass
class ReportRow:
    code: str
    name: str
    # None: a hidden small count or its complement; `hidden` says which ("<5" or "*").
    figures: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    measures: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(MEASURES))
    hidden: dict[str, str] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        return bool(self.hidden)


@dataclass
class MonthlyReport:
    spec: ReportSpec
    rows: list[ReportRow]
    total: ReportRow


def _child_code_length(area: Region | None) -> int:
    if area is None:
        return 2  # the whole country breaks down by province
    return len(area.code) + _CHILD_SUFFIX.get(area.level, 0)  # a village is its own only row


def population(spec: ReportSpec, client: str = "") -> Q:
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


def in_month(spec: ReportSpec, name: str) -> Q:
    return Q(**{f"{name}__gte": spec.start, f"{name}__lt": spec.end})


def _grouped(qs: QuerySet[Any], village_field: str, n: int, **aggregates: Any) -> dict[str, dict[str, Any]]:
    """One row of aggregates per child area; n=0 gives one row for everything (code "")."""
    rows = (
        qs.annotate(area_code=Substr(village_field, 1, n))
        .values("area_code")
        .annotate(**aggregates)
        .order_by()
    )
    return {r.pop("area_code"): r for r in rows}


# The status of every client of the population at the month's start and end, set-based, by the rule of the module
# docstring put as intervals (as series.py does): one sort of the population's history by (client, at, id); a
# change holds from its `at` until the next one, so the status at T is the `to_status` of the change with
# at < T <= the next change's at, else (no change before T) the `from_status` of the first change, else the current
# status. Plain aggregates pick them (one row per client and instant qualifies), where subqueries per client and
# instant, or ordered aggregates, cost an index probe or a sort per client (bench/bench_report.py). The history is
# taken as a semi-join (`IN`), which the planner hashes, rather than a join it merged through an external sort.
# Recent visits: an EXISTS the planner hashes for a province and probes by index for a village.
# Placeholders: (end, end, start, start, n, window start, end), then the figures'.
_CLIENT_STATUS_SQL = """
WITH pop AS MATERIALIZED ({population}),
ch AS (
  SELECT sc.client_id, sc.at, sc.from_status, sc.to_status,
         row_number() OVER w AS rn, lead(sc.at) OVER w AS next_at
  FROM recovery_clientstatuschange sc WHERE sc.client_id IN (SELECT id FROM pop)
  WINDOW w AS (PARTITION BY sc.client_id ORDER BY sc.at, sc.id)
),
st AS (
  SELECT client_id,
    max(to_status) FILTER (WHERE at < %s AND (next_at IS NULL OR next_at >= %s)) AS at_end,
    max(to_status) FILTER (WHERE at < %s AND (next_at IS NULL OR next_at >= %s)) AS at_start,
    max(from_status) FILTER (WHERE rn = 1) AS registered
  FROM ch GROUP BY client_id
),
t AS (
  SELECT substring(pop.village_id, 1, %s) AS area_code, pop.created_at,
    COALESCE(st.at_end, st.registered, pop.status) AS status_at_end,
    COALESCE(st.at_start, st.registered, pop.status) AS status_at_start,
    EXISTS (
      SELECT 1 FROM recovery_visit v WHERE v.client_id = pop.id AND v.occurred_at >= %s AND v.occurred_at < %s
    ) AS visited_recently
  FROM pop LEFT JOIN st ON st.client_id = pop.id
)
SELECT area_code, {figures} FROM t GROUP BY area_code
"""


def client_status_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    """Who is where at the end of the month (and active at its start): one query (_CLIENT_STATUS_SQL), the
    statuses by the rule of the module docstring for the whole population at once."""
    window_start = spec.end - timedelta(days=NO_VISIT_DAYS)
    population_sql, population_params = (
        Client.objects.filter(population(spec), created_at__lt=spec.end)
        .values("id", "village_id", "created_at", "status")
        .query.sql_with_params()
    )
    active, treatment = sorted(ACTIVE), sorted(IN_TREATMENT)
    figures: list[tuple[str, str, list[Any]]] = [
        ("clients_registered", "created_at >= %s AND created_at < %s", [spec.start, spec.end]),
        ("clients_active_start", "created_at < %s AND status_at_start = ANY(%s)", [spec.start, active]),
        ("clients_active", "status_at_end = ANY(%s)", [active]),
        ("clients_in_treatment", "status_at_end = ANY(%s)", [treatment]),
        *(
            (f"clients_{s}", "status_at_end = %s", [s])
            for s in ("community_recovery", "outpatient", "inpatient", "methadone", "post_rehab")
        ),
        # Only clients registered before the 30-day window: a newcomer is not yet a missed visit.
        (
            "clients_without_visit_30d",
            "status_at_end = ANY(%s) AND created_at < %s AND NOT visited_recently",
            [active, window_start],
        ),
    ]
    select = ", ".join(f"count(*) FILTER (WHERE {cond}) AS {name}" for name, cond, _p in figures)
    params = [
        *population_params,
        *(spec.end, spec.end, spec.start, spec.start, n, window_start, spec.end),
        *(p for _n, _c, ps in figures for p in ps),
    ]  # in the order of the text
    sql = _CLIENT_STATUS_SQL.format(population=population_sql, figures=select)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in cursor.fetchall()}


def _change_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    """Exits during the month, and returns from an exit (re-contacted after a lapse)."""
    lapsed = [ClientStatus.DROPPED_OUT, ClientStatus.LOST_CONTACT]
    returned = Q(from_status__in=lapsed, to_status__in=list(ACTIVE))
    qs = ClientStatusChange.objects.filter(
        Q(to_status__in=lapsed) | returned, in_month(spec, "at"), population(spec, "client__")
    )
    distinct = lambda q: Count("client_id", distinct=True, filter=q)  # noqa: E731
    return _grouped(
        qs,
        "client__village_id",
        n,
        clients_dropped_out=distinct(Q(to_status=ClientStatus.DROPPED_OUT)),
        clients_lost_contact=distinct(Q(to_status=ClientStatus.LOST_CONTACT)),
        clients_recontacted=distinct(returned),
    )


def _screening_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    qs = Screening.objects.filter(in_month(spec, "screened_at"), population(spec, "client__"))
    needs_help = ["moderate", "high"]
    return _grouped(
        qs,
        "client__village_id",
        n,
        screenings=Count("id"),
        screenings_injecting=Count("id", filter=Q(injected_recently=True)),
        **{k: Count("id", filter=Q(highest_risk=risk)) for risk, k in SCREENING_RISK_FIGURES.items()},
        **{
            k: Count("id", filter=Q(**{f"scores__{s}__risk__in": needs_help}))
            for s, k in SUBSTANCE_FIGURES.items()
        },
    )


def escalations_of(spec: ReportSpec) -> QuerySet[Escalation]:
    qs = Escalation.objects.filter(population(spec, "client__"), created_at__lt=spec.end)
    if spec.facility is not None:
        qs = qs.filter(id__in=_facility_escalations(spec).values("id"))
    return qs


def _escalation_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    qs = escalations_of(spec)
    # Waiting at month end: created by then and not yet accepted, closed or cancelled by then.
    waiting = (
        (Q(accepted_at__isnull=True) | Q(accepted_at__gte=spec.end))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=spec.end))
        & (Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=spec.end))
        # A cancellation recorded before cancelled_at existed has no time: no longer waiting.
        & ~Q(status=EscalationStatus.CANCELLED, cancelled_at__isnull=True)
    )
    answered = lambda status: Exists(  # noqa: E731
        Offer.objects.filter(
            escalation_id=OuterRef("pk"), status=status, **_month_kwargs(spec, "answered_at")
        )
    )
    qs = qs.annotate(any_declined=answered(OfferStatus.DECLINED), any_expired=answered(OfferStatus.EXPIRED))
    return _grouped(
        qs,
        "client__village_id",
        n,
        escalations_created=Count("id", filter=in_month(spec, "created_at")),
        escalations_accepted=Count("id", filter=in_month(spec, "accepted_at")),
        escalations_declined=Count("id", filter=Q(any_declined=True)),
        escalations_expired=Count("id", filter=Q(any_expired=True)),
        escalations_to_coordinator=Count("id", filter=in_month(spec, "to_coordinator_at")),
        escalations_cancelled=Count("id", filter=in_month(spec, "cancelled_at")),
        escalations_waiting=Count("id", filter=waiting),
    )


def _month_kwargs(spec: ReportSpec, name: str) -> dict[str, datetime]:
    return {f"{name}__gte": spec.start, f"{name}__lt": spec.end}


def _acceptance_measures(spec: ReportSpec, n: int) -> dict[str, dict[str, float | None]]:
    """Median and 90th percentile of the hours from creation to acceptance, of escalations accepted in the
    month: per child area (n), and for everything (code ""): two queries (a percentile does not add up)."""
    hours = (
        Extract(ExpressionWrapper(F("accepted_at") - F("created_at"), output_field=DurationField()), "epoch")
        / 3600.0
    )
    qs = escalations_of(spec).filter(in_month(spec, "accepted_at")).annotate(hours=hours)
    out: dict[str, dict[str, float | None]] = {}
    for width in (n, 0):
        for code, r in _grouped(
            qs,
            "client__village_id",
            width,
            acceptance_hours_median=Percentile("hours", 0.5),
            acceptance_hours_p90=Percentile("hours", 0.9),
        ).items():
            out[code] = {k: round(v, 1) if v is not None else None for k, v in r.items()}
    return out


def _visit_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    qs = Visit.objects.filter(in_month(spec, "occurred_at"), population(spec, "client__"))
    return _grouped(
        qs,
        "client__village_id",
        n,
        visits=Count("id"),
        clients_visited=Count("client_id", distinct=True),
        **{k: Count("id", filter=Q(type=t)) for t, k in VISIT_TYPE_FIGURES.items()},
    )


def _contact_figures(spec: ReportSpec, n: int) -> dict[str, dict[str, int]]:
    qs = ContactAttempt.objects.filter(in_month(spec, "occurred_at"), population(spec, "client__"))
    return _grouped(
        qs,
        "client__village_id",
        n,
        contact_attempts=Count("id"),
        **{k: Count("id", filter=Q(result=r)) for r, k in CONTACT_RESULT_FIGURES.items()},
    )


COUNT_PARTS = (
    client_status_figures,
    _change_figures,
    _screening_figures,
    _escalation_figures,
    _visit_figures,
    _contact_figures,
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
    plus the total. Every figure is additive (a client lives in one village), so the total is the row sum;
    measures are computed for each row and the total on their own.

    A reader below the system admin who asks for one village gets that village's row of its district's report,
    suppressed as the district's (suppression.py)."""
    if spec.small_cells_hidden and spec.area is not None and spec.area.level == RegionLevel.VILLAGE:
        district = Region.objects.get(code=spec.area.parent_id)
        whole = monthly_report(spec=_with_area(spec, district))
        row = next(r for r in whole.rows if r.code == spec.area.code)
        return MonthlyReport(spec=spec, rows=[row], total=row)
    n = _child_code_length(spec.area)
    names = _child_names(spec)
    rows = {code: ReportRow(code=code, name=name) for code, name in names.items()}
    counts, acceptance = _counts(spec, n)
    for code, figures in counts.items():
        row = rows.setdefault(code, ReportRow(code=code, name=""))
        row.figures.update({k: int(v) for k, v in figures.items() if k in row.figures})
    ordered = [rows[c] for c in sorted(rows)]
    total = ReportRow(
        code=spec.area.code if spec.area else "",
        name=spec.area.name if spec.area else "",
        figures={k: sum(r.figures[k] or 0 for r in ordered) for k in FIGURES},
    )
    for row in [*ordered, total]:
        key = "" if row is total else row.code
        row.measures.update(acceptance.get(key, {}))
        row.measures["dropout_rate"] = dropout_rate(row.figures)
    if spec.small_cells_hidden and _rows_are_villages(spec):
        _suppress(ordered)
    return MonthlyReport(spec=spec, rows=ordered, total=total)


def _counts(spec: ReportSpec, n: int) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float | None]]]:
    """The counts per child area and the times to acceptance: from the roll-up where it serves (rollup.py, the
    same figures summed over villages), else live (COUNT_PARTS, _acceptance_measures)."""
    if rollup.usable(spec):
        return rollup.report_counts(spec, n)
    counts: dict[str, dict[str, int]] = {}
    for part in COUNT_PARTS:
        for code, figures in part(spec, n).items():
            counts.setdefault(code, {}).update(figures)
    return counts, _acceptance_measures(spec, n)


def _with_area(spec: ReportSpec, area: Region) -> ReportSpec:
    return ReportSpec(
        area=area,
        facility=spec.facility,
        month=spec.month,
        tz=spec.tz,
        start=spec.start,
        end=spec.end,
        small_cells_hidden=spec.small_cells_hidden,
    )


def _rows_are_villages(spec: ReportSpec) -> bool:
    return spec.area is not None and spec.area.level == RegionLevel.DISTRICT


def _suppress(rows: list[ReportRow]) -> None:
    """Hide small counts and their complements in village rows (suppression.py); the total stays (public)."""
    marks = suppress([{k: int(r.figures[k] or 0) for k in FIGURES} for r in rows])
    for row, hidden in zip(rows, marks, strict=True):
        row.hidden = dict(hidden)
        for k in hidden:
            row.figures[k] = None
        for m in hidden_measures(hidden):
            row.measures[m] = None
