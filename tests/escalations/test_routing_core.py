"""The routing rules over plain values: reasons, ranking and tie-breaks (no database)."""

from __future__ import annotations

import pytest

from backend.escalations.routing import (
    StaffFacts,
    choose,
    nearest_post_per_person,
    passed_over_reason,
    rank_key,
)


def staff(user="a", km=1.0, **kw) -> StaffFacts:  # type: ignore[no-untyped-def]
    base = dict(
        user_id=user,
        name=user,
        facility_id="f-" + user,
        facility="F",
        distance_km=km,
        active=True,
        valid_kinds=frozenset({"counselor"}),
        held_kinds=frozenset({"counselor"}),
        on_leave=False,
        caseload=0,
        cap=15,
        declined=False,
    )
    base.update(kw)
    return StaffFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "need", "reason"),
    [
        (staff(), "counseling", None),
        (staff(), "assessment", "wrong_certificate"),
        (staff(held_kinds=frozenset(), valid_kinds=frozenset()), "counseling", "wrong_certificate"),
        (staff(valid_kinds=frozenset()), "counseling", "certificate_expired"),
        (staff(on_leave=True), "counseling", "on_leave"),
        (staff(caseload=15), "counseling", "caseload_full"),
        (staff(caseload=14), "counseling", None),
        (staff(cap=0), "counseling", "caseload_full"),
        (staff(declined=True), "counseling", "already_declined"),
        (staff(active=False), "counseling", "inactive"),
        (staff(within_radius=False), "counseling", "beyond_radius"),
        (
            staff(held_kinds=frozenset({"counselor", "assessor"}), valid_kinds=frozenset({"assessor"})),
            "assessment",
            None,
        ),
    ],
)
def test_each_rule_gives_its_reason(facts, need, reason):
    assert passed_over_reason(facts, need=need) == reason


def test_the_first_failing_rule_is_the_reason_given():
    everything_wrong = staff(active=False, declined=True, valid_kinds=frozenset(), on_leave=True, caseload=99)
    assert passed_over_reason(everything_wrong, need="counseling") == "inactive"
    assert (
        passed_over_reason(staff(valid_kinds=frozenset(), on_leave=True), need="counseling")
        == "certificate_expired"
    )
    assert passed_over_reason(staff(on_leave=True, caseload=99), need="counseling") == "on_leave"


def test_the_nearest_eligible_wins():
    rows = [staff("far", 9.0), staff("near-but-on-leave", 1.0, on_leave=True), staff("middle", 5.0)]
    assert choose(rows, need="counseling").user_id == "middle"  # type: ignore[union-attr]


def test_equal_distance_goes_to_the_smaller_caseload():
    rows = [staff("busy", 3.0, caseload=7), staff("free", 3.0, caseload=2), staff("further", 3.5)]
    assert [r.user_id for r in nearest_post_per_person(rows)] == ["free", "busy", "further"]


def test_distances_equal_to_the_metre_count_as_a_tie():
    rows = [staff("b", 3.0001, caseload=1), staff("a", 3.0004, caseload=0)]
    assert choose(rows, need="counseling").user_id == "a"  # type: ignore[union-attr]


def test_a_full_tie_is_broken_by_id_so_the_choice_is_stable():
    assert rank_key(staff("a", 2.0)) < rank_key(staff("b", 2.0))
    assert choose([staff("b", 2.0), staff("a", 2.0)], need="counseling").user_id == "a"  # type: ignore[union-attr]


def test_a_person_posted_at_two_facilities_counts_once_at_the_nearest():
    rows = [staff("a", 8.0, facility_id="far"), staff("a", 2.0, facility_id="near"), staff("b", 5.0)]
    ranked = nearest_post_per_person(rows)
    assert [(r.user_id, r.facility_id) for r in ranked] == [("a", "near"), ("b", "f-b")]


def test_nobody_eligible_chooses_nobody():
    assert choose([staff(on_leave=True), staff("b", caseload=15)], need="counseling") is None
    assert choose([], need="assessment") is None
