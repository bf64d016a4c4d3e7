"""Complementary suppression (backend/reports/suppression.py) on hand-made village rows."""

from __future__ import annotations

from backend.reports.figures import FIGURES
from backend.reports.suppression import suppress


def rows(*values: dict[str, int]) -> list[dict[str, int]]:
    return [{k: v.get(k, 0) for k in FIGURES} for v in values]


def test_a_lone_small_count_takes_the_smallest_count_of_eight_or_more_with_it():
    marks = suppress(rows({"visits_home_visit": 2, "visits": 2}, {"visits_home_visit": 9, "visits": 9}, {}))

    # Column visits_home_visit: 2 is "<5"; 9 is hidden too, else the public district total (11) gives 2 back.
    assert marks[0]["visits_home_visit"] == "<5"
    assert marks[1]["visits_home_visit"] == "*"
    assert marks[0]["visits"] == "<5"
    assert marks[1]["visits"] == "*"
    assert "visits_home_visit" not in marks[2]  # a zero is shown


def test_a_small_part_of_a_row_sum_hides_a_large_part_or_the_rows_total():
    marks = suppress(rows({"screenings": 12, "screenings_risk_low": 3, "screenings_high_risk": 9}))

    assert marks[0]["screenings_risk_low"] == "<5"
    assert marks[0]["screenings_high_risk"] == "*"  # 12 - 9 would give 3 back
    assert "screenings" not in marks[0]


def test_two_small_counts_alone_are_not_enough_they_could_be_pinned_by_their_sum():
    marks = suppress(rows({"clients_registered": 1}, {"clients_registered": 1}, {"clients_registered": 20}))

    # 1 + 1 = 2 = total - 20 would say both are 1: the 20 is hidden as well.
    assert [m.get("clients_registered") for m in marks] == ["<5", "<5", "*"]


def test_nothing_small_nothing_hidden():
    assert suppress(rows({"visits": 7, "visits_home_visit": 7}, {})) == [{}, {}]
