"""Beside the monthly table: the 12-month series of the headline figures (for charts), and the figures per field
worker (visits, contact attempts, tasks done on time / late / still open).

The series is of the report's total (the whole area), month by month in the area's time zone, ending with the
report's month. Events (registered, screened, visited, contacted, escalated, accepted, dropped out, lost contact)
are counted by month in one query per kind (`date_trunc('month', ... AT TIME ZONE tz)`); the statuses at the
twelve month ends (active, in treatment) in one more, from the status history as intervals.
A reader below the system admin gets no series for a single village: a series is of area totals, and a
village's totals are the cells its district's report may hide (suppression.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth

from backend.accounts.models import User
from backend.recovery.lifecycle import ACTIVE, IN_TREATMENT, ClientStatus
from backend.recovery.models import Client, ClientStatusChange, ContactAttempt, Screening, Visit
from backend.reports import rollup
from backend.reports.figures import SERIES_FIGURES
from backend.reports.queries import escalations_of, population
from backend.reports.selectors import ReportSpec, month_bounds
from backend.tasks.models import Task, TaskStatus
from villages.models import RegionLevel

SERIES_MONTHS = 12


def _months_back(month: date, count: int) -> list[date]:
    months = []
    y, m = month.year, month.month
    for _ in range(count):
        months.append(date(y, m, 1))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return months[::-1]


def _spec_of(spec: ReportSpec, month: date) -> ReportSpec:
    start, end = month_bounds(month=month, tz=spec.tz)
    return replace(spec, month=month, start=start, end=end)


def _by_month(spec: ReportSpec, qs: QuerySet[Any], field: str, start: Any, **filters: Any) -> dict[date, int]:
    rows = (
        qs.filter(**{f"{field}__gte": start, f"{field}__lt": spec.end}, **filters)
        .annotate(m=TruncMonth(field, tzinfo=spec.tz))
        .values("m")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["m"].date() if hasattr(r["m"], "date") else r["m"]: r["n"] for r in rows}


def monthly_series(*, spec: ReportSpec) -> dict[str, Any] | None:
    """{"months": ["YYYY-MM", ...], figure: [one value per month]} for SERIES_FIGURES, or None (see above)."""
    if spec.small_cells_hidden and spec.area is not None and spec.area.level == RegionLevel.VILLAGE:
        return None
    months = _months_back(spec.month, SERIES_MONTHS)
    if rollup.usable(spec):
        return _series_from_rollup(spec, months)
    start = _spec_of(spec, months[0]).start
    c = "client__"
    changes = ClientStatusChange.objects.filter(population(spec, c))
    events = {
        "clients_registered": _by_month(spec, Client.objects.filter(population(spec)), "created_at", start),
        "screenings": _by_month(spec, Screening.objects.filter(population(spec, c)), "screened_at", start),
        "visits": _by_month(spec, Visit.objects.filter(population(spec, c)), "occurred_at", start),
        "contact_attempts": _by_month(
            spec, ContactAttempt.objects.filter(population(spec, c)), "occurred_at", start
        ),
        "escalations_created": _by_month(spec, escalations_of(spec), "created_at", start),
        "escalations_accepted": _by_month(spec, escalations_of(spec), "accepted_at", start),
        # A client who dropped out twice in a month counts once in the table; here every change counts.
        "clients_dropped_out": _by_month(spec, changes, "at", start, to_status=ClientStatus.DROPPED_OUT),
        "clients_lost_contact": _by_month(spec, changes, "at", start, to_status=ClientStatus.LOST_CONTACT),
    }
    out: dict[str, Any] = {"months": [m.strftime("%Y-%m") for m in months]}
    for key, counts in events.items():
        out[key] = [counts.get(m, 0) for m in months]
    ends = [_spec_of(spec, m).end for m in months]
    out["clients_active"], out["clients_in_treatment"] = _statuses_at(spec, ends)
    assert set(out) == {"months", *SERIES_FIGURES}
    return out


# The roll-up's column of each series figure: a status change counts every time in the series (not once per client).
_ROLLUP_COLUMN = {
    **{k: k for k in SERIES_FIGURES},
    "clients_dropped_out": "changes_dropped_out",
    "clients_lost_contact": "changes_lost_contact",
}


_LIVE_ORDER = (
    "clients_registered",
    "screenings",
    "visits",
    "contact_attempts",
    "escalations_created",
    "escalations_accepted",
    "clients_dropped_out",
    "clients_lost_contact",
    "clients_active",
    "clients_in_treatment",
)
assert set(_LIVE_ORDER) == set(SERIES_FIGURES)


def _series_from_rollup(spec: ReportSpec, months: list[date]) -> dict[str, Any]:
    counts = rollup.series_counts(spec, months, tuple(_ROLLUP_COLUMN[k] for k in SERIES_FIGURES))
    out: dict[str, Any] = {"months": [m.strftime("%Y-%m") for m in months]}
    for key in _LIVE_ORDER:  # the live series' order: the same JSON, byte for byte
        out[key] = [counts.get(m, {}).get(_ROLLUP_COLUMN[key], 0) for m in months]
    return out


# A client's status over time as intervals: before the first change the change's from_status (or, with no change,
# the current status), then each change's to_status until the next. The status at T is that of the interval
# (vfrom, vto] holding T: the same rule as queries._CLIENT_STATUS_SQL, for every month end in one pass.
_STATUS_SERIES_SQL = """
WITH pop AS ({population}),
ch AS (
  SELECT sc.client_id, sc.at, sc.from_status, sc.to_status,
         row_number() OVER w AS rn, lead(sc.at) OVER w AS next_at
  FROM recovery_clientstatuschange sc JOIN pop ON pop.id = sc.client_id
  WINDOW w AS (PARTITION BY sc.client_id ORDER BY sc.at, sc.id)
),
iv AS (
  SELECT p.id, p.created_at, '-infinity'::timestamptz AS vfrom,
         COALESCE(f.at, 'infinity'::timestamptz) AS vto, COALESCE(f.from_status, p.status) AS status
  FROM pop p LEFT JOIN ch f ON f.client_id = p.id AND f.rn = 1
  UNION ALL
  SELECT ch.client_id, p.created_at, ch.at, COALESCE(ch.next_at, 'infinity'::timestamptz), ch.to_status
  FROM ch JOIN pop p ON p.id = ch.client_id
),
m AS (SELECT unnest(%s::timestamptz[]) AS m_end)
SELECT m.m_end, count(*) FILTER (WHERE iv.status = ANY(%s)), count(*) FILTER (WHERE iv.status = ANY(%s))
FROM m JOIN iv ON iv.created_at < m.m_end AND iv.vfrom < m.m_end AND m.m_end <= iv.vto
GROUP BY m.m_end
"""


def _statuses_at(spec: ReportSpec, ends: list[Any]) -> tuple[list[int], list[int]]:
    """Clients active and in treatment at each instant of `ends`: one query."""
    population_sql, params = (
        Client.objects.filter(population(spec)).values("id", "created_at", "status").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _STATUS_SERIES_SQL.format(population=population_sql),
            [*params, ends, sorted(ACTIVE), sorted(IN_TREATMENT)],
        )
        found = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    return [found.get(e, (0, 0))[0] for e in ends], [found.get(e, (0, 0))[1] for e in ends]


@dataclass
class WorkerRow:
    user_id: str
    name: str
    visits: int = 0
    contact_attempts: int = 0
    tasks_on_time: int = 0
    tasks_late: int = 0
    tasks_open: int = 0


WORKER_FIGURES = ("visits", "contact_attempts", "tasks_on_time", "tasks_late", "tasks_open")


def worker_rows(*, spec: ReportSpec) -> list[WorkerRow]:
    """Per field worker who visited, tried to contact or held a task of the area's clients in the month:
    visits and contact attempts in the month; tasks done in the month on time (on or before the due date, in
    the area's time zone) or late, and tasks still open at the month's end. Not in a facility's report (its
    cases' field workers are not the facility's to rate). Four queries."""
    if spec.facility is not None:
        return []
    rows: dict[str, WorkerRow] = {}
    if rollup.usable(spec):
        for uid, (name, figures) in rollup.worker_counts(spec).items():
            rows[uid] = WorkerRow(user_id=uid, name=name, **figures)
    else:
        _worker_figures_live(spec, rows)
        for uid, name in User.objects.filter(id__in=list(rows)).values_list("id", "name"):
            rows[str(uid)].name = name
    return sorted(rows.values(), key=lambda r: (r.name, r.user_id))


def _worker_figures_live(spec: ReportSpec, rows: dict[str, WorkerRow]) -> None:
    c = "client__"

    def add(qs: QuerySet[Any], user_field: str, **aggregates: Any) -> None:
        for r in qs.values(user_field).annotate(**aggregates).order_by():
            uid = str(r.pop(user_field))
            row = rows.setdefault(uid, WorkerRow(user_id=uid, name=""))
            for k, v in r.items():
                setattr(row, k, int(v))

    month = {"gte": spec.start, "lt": spec.end}
    add(
        Visit.objects.filter(population(spec, c), occurred_at__gte=month["gte"], occurred_at__lt=month["lt"]),
        "logged_by_id",
        visits=Count("id"),
    )
    add(
        ContactAttempt.objects.filter(
            population(spec, c), occurred_at__gte=month["gte"], occurred_at__lt=month["lt"]
        ),
        "logged_by_id",
        contact_attempts=Count("id"),
    )
    done_in_month = Q(status=TaskStatus.DONE, completed_at__gte=spec.start, completed_at__lt=spec.end)
    open_at_end = Q(created_at__lt=spec.end) & (
        Q(status=TaskStatus.OPEN) | Q(status=TaskStatus.DONE, completed_at__gte=spec.end)
    )
    tasks = Task.objects.filter(population(spec, c)).annotate(
        done_on=TruncDate("completed_at", tzinfo=spec.tz)
    )
    add(
        tasks.filter(done_in_month | open_at_end),
        "assignee_id",
        tasks_on_time=Count("id", filter=done_in_month & Q(done_on__lte=F("due_on"))),
        tasks_late=Count("id", filter=done_in_month & Q(done_on__gt=F("due_on"))),
        tasks_open=Count("id", filter=open_at_end),
    )
