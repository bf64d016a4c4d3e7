"""The figures of the monthly report, on the small world of conftest.py (October 2026)."""

from __future__ import annotations

import pytest

from backend.reports.figures import FIGURES, SERIES_FIGURES
from backend.reports.queries import monthly_report
from backend.reports.selectors import report_spec_for
from backend.reports.series import monthly_series
from tests.reports.conftest import after_october

pytestmark = pytest.mark.django_db


def report(user, area, month="2026-10", facility=None):
    return monthly_report(spec=report_spec_for(user=user, area=area, month=month, facility_id=facility))


def figures(**nonzero: int) -> dict[str, int]:
    return {k: nonzero.get(k, 0) for k in FIGURES}


KATINGAN_HILIR_OCTOBER = figures(
    clients_registered=1,  # budi
    clients_active_start=2,  # ani and citra (registered before October); budi came on 2 October
    clients_active=2,  # ani (outpatient), citra (identified); budi lost contact
    screenings=1,
    screenings_high_risk=1,
    screenings_injecting=1,
    escalations_created=2,
    escalations_accepted=1,
    escalations_waiting=1,  # citra's, accepted only at 00:10 WIB on 1 Nov
    clients_in_treatment=1,
    clients_outpatient=1,
    clients_lost_contact=1,
    visits=1,
    visits_home_visit=1,
    clients_visited=1,
    clients_without_visit_30d=1,  # citra; budi is no longer active, ani was visited
)


def test_a_regency_report_breaks_down_by_district_with_the_figures_of_the_month(world):
    r = report(world.cast.coordinator_katingan, "62.06")

    assert [(row.code, row.name) for row in r.rows] == [("62.06.02", "Katingan Hilir")]
    assert r.rows[0].figures == KATINGAN_HILIR_OCTOBER
    assert r.total.figures == KATINGAN_HILIR_OCTOBER
    assert r.total.code == "62.06"


def test_a_status_change_after_the_month_does_not_change_that_months_report(world):
    before = report(world.cast.coordinator_katingan, "62.06").total.figures

    after_october(world)  # citra's escalation accepted on 1 Nov, ani drops out on 5 Nov
    after = report(world.cast.coordinator_katingan, "62.06").total.figures

    assert after == before == KATINGAN_HILIR_OCTOBER
    november = report(world.cast.coordinator_katingan, "62.06", "2026-11").total.figures
    assert november["clients_dropped_out"] == 1
    assert november["escalations_accepted"] == 1
    assert november["clients_in_treatment"] == 0
    assert november["clients_active"] == 1  # citra, now escalated


def test_a_province_report_breaks_down_by_regency_and_totals_them(world):
    r = report(world.cast.coordinator_kalteng, "62")

    by_code = {row.code: row for row in r.rows}
    assert list(by_code) == ["62.06", "62.13"]
    assert by_code["62.06"].figures == KATINGAN_HILIR_OCTOBER
    assert by_code["62.13"].figures == figures(
        clients_registered=1,
        clients_active=1,
        clients_post_rehab=1,
        visits=2,
        visits_home_visit=2,
        clients_visited=1,
    )
    assert r.total.figures["visits"] == 3
    assert r.total.figures["clients_registered"] == 2
    assert r.total.figures["clients_active"] == 3


def test_a_district_report_breaks_down_by_village_listing_villages_without_clients_too(world):
    r = report(world.cast.system_admin, "62.06.02")  # the system admin: no small counts hidden

    by_code = {row.code: row.figures for row in r.rows}
    assert list(by_code) == ["62.06.02.1003", "62.06.02.2005"]
    assert by_code["62.06.02.1003"]["clients_active"] == 2
    assert by_code["62.06.02.2005"]["clients_lost_contact"] == 1
    assert by_code["62.06.02.2005"]["clients_registered"] == 1


def test_the_month_is_the_calendar_month_in_the_areas_time_zone(world):
    # 23:30 WITA on 31 October is October in Mataram; 00:30 WITA on 1 November (23:30 WIB) is November.
    october = report(world.cast.coordinator_mataram, "52.71").total.figures
    november = report(world.cast.coordinator_mataram, "52.71", "2026-11").total.figures

    assert october["visits"] == 1
    assert november["visits"] == 1
    assert october["clients_registered"] == 1


def test_an_escalation_sent_to_the_coordinator_is_counted_and_still_waiting(world):
    october = report(world.cast.coordinator_mataram, "52.71").total.figures

    assert world.esc_eka.to_coordinator_at is not None
    assert (october["escalations_created"], october["escalations_to_coordinator"]) == (1, 1)
    assert (october["escalations_waiting"], october["escalations_accepted"]) == (1, 0)


def test_a_facility_report_counts_only_the_cases_that_facility_took_on(world):
    r = report(world.cast.facility_admin_kasongan, None, facility=str(world.cast.pkm_kasongan.id))

    assert [row.code for row in r.rows] == ["52", "62"]  # the whole country, by province
    kalteng = r.rows[1].figures
    assert kalteng["escalations_created"] == 1  # ani's; citra's is only offered (accepted on 1 November)
    assert (
        kalteng["clients_active"] == 1
    )  # ani: citra's case is not yet the facility's, budi and dedi never escalated
    assert kalteng["visits"] == 1  # ani's; dedi is not a case of this facility
    assert r.rows[0].figures == figures()


def test_the_report_takes_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    spec = report_spec_for(user=world.cast.coordinator_kalteng, area="62", month="2026-10")

    # Six queries of counts, two of percentiles (per child and total), the child areas' names.
    with django_assert_max_num_queries(9):
        monthly_report(spec=spec)


def test_a_village_report_is_one_row_the_village_itself(world):
    r = report(world.cast.system_admin, "62.06.02.2005")

    assert [(row.code, row.name) for row in r.rows] == [("62.06.02.2005", "Talian Kereng")]
    assert r.total.figures == r.rows[0].figures
    assert r.total.figures["clients_lost_contact"] == 1


def test_a_coordinators_village_report_is_that_villages_row_of_the_suppressed_district_report(world):
    village = report(world.cast.coordinator_katingan, "62.06.02.2005")
    district = report(world.cast.coordinator_katingan, "62.06.02")

    talian = next(r for r in district.rows if r.code == "62.06.02.2005")
    assert village.rows[0].figures == talian.figures
    assert village.rows[0].hidden == talian.hidden
    assert talian.hidden["clients_lost_contact"] == "<5"


def test_the_12_month_series_ends_with_the_reports_month_and_agrees_with_each_months_table(world):
    spec = report_spec_for(user=world.cast.coordinator_katingan, area="62.06", month="2026-10")

    series = monthly_series(spec=spec)

    assert series["months"][-3:] == ["2026-08", "2026-09", "2026-10"]
    assert len(series["months"]) == 12
    # August: citra; September: citra and ani; October: ani (outpatient) and citra, budi lost contact.
    assert series["clients_active"][-3:] == [1, 2, 2]
    assert series["clients_in_treatment"][-3:] == [0, 0, 1]
    assert series["clients_registered"][-3:] == [1, 1, 1]
    assert series["clients_lost_contact"][-1] == 1
    for i, month in enumerate(series["months"][-3:]):
        table = report(world.cast.coordinator_katingan, "62.06", month).total.figures
        assert [series[k][9 + i] for k in SERIES_FIGURES] == [table[k] for k in SERIES_FIGURES]
