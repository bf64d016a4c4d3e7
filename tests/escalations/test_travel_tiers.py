"""The pure core of travel-time routing: tiers and the reason for leaving the catchment (no database)."""

from __future__ import annotations

from backend.escalations.routing import StaffFacts, passed_over_reason
from backend.escalations.travel_routing import choose_tiered


def facts(uid: str, minutes: float, *, catchment: int = 2, **kw: object) -> StaffFacts:
    base: dict[str, object] = {
        "user_id": uid,
        "name": uid,
        "facility_id": f"f-{uid}",
        "facility": f"F {uid}",
        "distance_km": 1.0,
        "active": True,
        "valid_kinds": frozenset({"counselor"}),
        "held_kinds": frozenset({"counselor"}),
        "on_leave": False,
        "caseload": 0,
        "cap": 15,
        "declined": False,
        "minutes": minutes,
        "catchment": catchment,
    }
    return StaffFacts(**{**base, **kw})  # type: ignore[arg-type]


def test_the_catchment_wins_over_a_faster_facility_and_its_own_puskesmas_over_the_regency_ipwl():
    rows = [facts("fast", 10), facts("ipwl", 30, catchment=1), facts("own", 60, catchment=0)]

    chosen, tier, leave = choose_tiered(rows, need="counseling")

    assert (chosen.user_id, tier, leave) == ("own", "catchment", None)  # type: ignore[union-attr]


def test_outside_the_catchment_the_fewest_minutes_win_and_equal_minutes_go_to_the_lighter_load():
    rows = [facts("busy", 20.2, caseload=10), facts("light", 19.9, caseload=2, cap=5), facts("slow", 45)]

    chosen, tier, leave = choose_tiered(rows, need="counseling")

    # 20 whole minutes each: the caseload relative to the cap decides (2/5 = 0.40 against 10/15 = 0.67).
    assert (chosen.user_id, tier, leave) == ("light", "travel_time", "geography")  # type: ignore[union-attr]


def test_the_reason_for_leaving_the_catchment_is_capacity_only_when_everyone_there_is_full():
    full_person = facts("own", 30, catchment=0, caseload=15)
    full_facility = facts("own2", 30, catchment=0, facility_full=True)
    assert passed_over_reason(full_facility, need="counseling") == "facility_full"

    assert choose_tiered([full_person, full_facility, facts("x", 50)], need="counseling")[2] == "capacity"
    on_leave = facts("own3", 30, catchment=0, on_leave=True)
    assert choose_tiered([full_person, on_leave, facts("x", 50)], need="counseling")[2] == "availability"


def test_treatment_passes_over_a_facility_that_is_no_ipwl():
    rows = [facts("own", 10, catchment=0, service_ok=False), facts("ipwl", 40)]

    chosen, tier, leave = choose_tiered(rows, need="treatment")

    assert passed_over_reason(rows[0], need="treatment") == "not_ipwl"
    assert (chosen.user_id, leave) == ("ipwl", "availability")  # type: ignore[union-attr]


def test_nobody_eligible_is_no_choice():
    assert choose_tiered([facts("a", 10, on_leave=True)], need="counseling") == (None, None, None)
