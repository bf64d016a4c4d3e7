"""The names of the monthly report's figures and measures, the sums that tie them together, and their definitions.

Figures are counts (additive: a client lives in one village, so a parent area's figure is the sum of its
children's). Measures are not counts and not additive (a median, a rate): each row and the total computes its own.

Definitions (also in the labels of exports.py and the API document):
- *Active* statuses are every status but the exits (dropped out, lost contact, moved, deceased) and recovered;
  statuses are taken as of an instant from the status history (see queries.py).
- *Screenings by substance*: screenings in which that substance scored a moderate or high ASSIST risk (the
  substances that call for a brief intervention or a referral). One screening may count for several substances.
- *Clients re-contacted after a lapse*: clients whose status went, during the month, from dropped out or lost
  contact back to an active status (they were found again).
- *Escalations declined / expired*: escalations with an offer declined / let expire during the month (one
  escalation counts once per figure however many of its offers did so).
- *Time to acceptance*: hours from an escalation's creation to its acceptance, for the escalations accepted
  during the month: the median and the 90th percentile (continuous percentiles).
- *Dropout rate* (percent, one decimal): clients who dropped out or lost contact during the month, divided by the
  clients at risk of it: those active at the start of the month plus those registered during the month. No
  denominator: no rate (null).
"""

from __future__ import annotations

from backend.recovery.assist import SUBSTANCES
from backend.recovery.models import ContactResult, VisitType

RISK_LEVELS = ("none", "low", "moderate", "high")
SCREENING_RISK_FIGURES = {
    "none": "screenings_risk_none",
    "low": "screenings_risk_low",
    "moderate": "screenings_risk_moderate",
    "high": "screenings_high_risk",  # the name the API had before the other levels
}
SUBSTANCE_FIGURES = {s: f"screenings_substance_{s}" for s in SUBSTANCES}
VISIT_TYPE_FIGURES = {t: f"visits_{t}" for t in VisitType.values}
CONTACT_RESULT_FIGURES = {r: f"contact_attempts_{r}" for r in ContactResult.values}

# The figures in report order. Labels live in exports.py (one place for the Indonesian text).
FIGURES: tuple[str, ...] = (
    "clients_registered",
    "clients_active_start",
    "clients_active",
    "clients_community_recovery",
    "screenings",
    *SCREENING_RISK_FIGURES.values(),
    "screenings_injecting",
    *SUBSTANCE_FIGURES.values(),
    "visits",
    *VISIT_TYPE_FIGURES.values(),
    "clients_visited",
    "clients_without_visit_30d",
    "contact_attempts",
    *CONTACT_RESULT_FIGURES.values(),
    "clients_recontacted",
    "escalations_created",
    "escalations_accepted",
    "escalations_declined",
    "escalations_expired",
    "escalations_to_coordinator",
    "escalations_cancelled",
    "escalations_waiting",
    "clients_in_treatment",
    "clients_outpatient",
    "clients_inpatient",
    "clients_methadone",
    "clients_post_rehab",
    "clients_dropped_out",
    "clients_lost_contact",
)

MEASURES: tuple[str, ...] = ("acceptance_hours_median", "acceptance_hours_p90", "dropout_rate")

# Which count a measure describes: where that count is hidden as small, the measure is hidden too (the median
# time of one case is that case's time).
MEASURE_BASIS = {
    "acceptance_hours_median": ("escalations_accepted",),
    "acceptance_hours_p90": ("escalations_accepted",),
    "dropout_rate": (
        "clients_dropped_out",
        "clients_lost_contact",
        "clients_active_start",
        "clients_registered",
    ),
}

# Sums inside one row: (total, parts). Suppression (suppression.py) keeps each of them from giving a hidden
# part back.
ROW_SUMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("screenings", tuple(SCREENING_RISK_FIGURES.values())),
    ("visits", tuple(VISIT_TYPE_FIGURES.values())),
    ("contact_attempts", tuple(CONTACT_RESULT_FIGURES.values())),
    ("clients_in_treatment", ("clients_outpatient", "clients_inpatient", "clients_methadone")),
)

# The headline figures of the 12-month series (charts).
SERIES_FIGURES: tuple[str, ...] = (
    "clients_registered",
    "clients_active",
    "screenings",
    "visits",
    "contact_attempts",
    "escalations_created",
    "escalations_accepted",
    "clients_in_treatment",
    "clients_dropped_out",
    "clients_lost_contact",
)

assert set(MEASURE_BASIS) == set(MEASURES)
assert all(k in FIGURES for k in SERIES_FIGURES)


def dropout_rate(figures: dict[str, int | None]) -> float | None:
    """The dropout rate of one row (see the module docstring), from its counts."""
    at_risk = (figures["clients_active_start"] or 0) + (figures["clients_registered"] or 0)
    if at_risk == 0:
        return None
    out = (figures["clients_dropped_out"] or 0) + (figures["clients_lost_contact"] or 0)
    return round(100 * out / at_risk, 1)
