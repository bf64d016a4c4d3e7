"""The report as the web page shows it: a table with the figures down the side and the areas across (fifty
figures do not fit across a screen), the headline cards and the chart data. Presentation only."""

from __future__ import annotations

from typing import Any

from backend.reports.exports import COLUMNS, label
from backend.reports.figures import MEASURES
from backend.reports.queries import MonthlyReport, ReportRow

HEADLINE = (
    "clients_active",
    "clients_registered",
    "visits",
    "contact_attempts",
    "escalations_waiting",
    "clients_in_treatment",
)
CHART_GROUPS = (
    ("clients", ("clients_active", "clients_in_treatment", "clients_registered")),
    ("work", ("visits", "contact_attempts", "screenings")),
    ("escalations", ("escalations_created", "escalations_accepted")),
    ("exits", ("clients_dropped_out", "clients_lost_contact")),
)


def cell(row: ReportRow, key: str) -> Any:
    """What a cell shows: the hidden mark, the number, or "-" for a measure without data."""
    if key in row.hidden:
        return row.hidden[key]
    value = row.figures[key] if key in row.figures else row.measures[key]
    if value is None:
        return "*" if key in MEASURES and row.hidden else "-"
    return value


def figure_table(report: MonthlyReport) -> dict[str, Any]:
    return {
        "areas": report.rows,
        "lines": [
            {
                "key": k,
                "label": label(k),
                "cells": [cell(r, k) for r in report.rows],
                "total": cell(report.total, k),
                "measure": k in MEASURES,
            }
            for k in COLUMNS
        ],
    }


def headline(report: MonthlyReport) -> list[dict[str, Any]]:
    cards = [{"key": k, "label": label(k), "value": cell(report.total, k)} for k in HEADLINE]
    cards.append(
        {"key": "dropout_rate", "label": label("dropout_rate"), "value": cell(report.total, "dropout_rate")}
    )
    return cards


def series_chart(series: dict[str, Any] | None) -> dict[str, Any] | None:
    """For Chart.js: the months and, per chart, its lines (label and data)."""
    if series is None:
        return None
    return {
        "months": series["months"],
        "charts": [
            {"id": name, "lines": [{"label": label(k), "data": series[k]} for k in keys]}
            for name, keys in CHART_GROUPS
        ],
    }
