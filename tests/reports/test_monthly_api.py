"""GET /reports/monthly: who may have which report, validation, and the CSV / XLSX downloads."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from openpyxl import load_workbook

from backend.reports.figures import FIGURES, MEASURES

pytestmark = pytest.mark.django_db

URL = "/reports/monthly"


def test_a_coordinator_gets_the_json_report_of_their_regency(api, world):
    res = api.as_(world.cast.coordinator_katingan).get(URL, area="62.06", month="2026-10")

    assert res.status_code == 200
    body = res.json()
    assert body["area"] == {"code": "62.06", "name": "Kabupaten Katingan", "level": "regency"}
    assert body["timezone"] == "Asia/Jakarta"
    assert body["period_start"].startswith("2026-09-30T17:00:00")
    assert [c["key"] for c in body["columns"]] == [*FIGURES, *MEASURES]
    assert body["columns"][0]["label"] == "Klien baru terdaftar"
    assert [r["code"] for r in body["rows"]] == ["62.06.02"]
    assert body["total"]["figures"]["clients_active"] == 2
    assert body["total"]["figures"]["escalations_waiting"] == 1


def test_a_province_coordinator_gets_a_regency_inside_their_province(api, world):
    res = api.as_(world.cast.coordinator_kalteng).get(URL, area="62.06", month="2026-10")

    assert res.status_code == 200
    assert res.json()["total"]["figures"]["clients_registered"] == 1


@pytest.mark.parametrize(
    ("who", "area"),
    [
        ("coordinator_mataram", "62.06"),  # another regency
        ("coordinator_katingan", "62"),  # their province, above their own area
        ("coordinator_katingan", "62.13"),  # a sibling regency
        ("coordinator_katingan", "99.99"),  # no such area
    ],
)
def test_an_area_outside_the_coordinators_own_is_not_found(api, world, who, area):
    res = api.as_(getattr(world.cast, who)).get(URL, area=area, month="2026-10")

    assert res.status_code == 404
    assert res.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("who", ["volunteer_katingan", "official_katingan", "counselor_near", "nobody"])
def test_roles_without_reports_are_forbidden(api, world, who):
    res = api.as_(getattr(world.cast, who)).get(URL, area="62.06.02.1003", month="2026-10")

    assert res.status_code == 403
    assert res.json()["error"]["code"] == "forbidden"


def test_a_system_admin_gets_any_area_and_the_whole_country(api, world):
    admin = api.as_(world.cast.system_admin)

    assert admin.get(URL, area="52.71", month="2026-10").status_code == 200
    country = admin.get(URL, month="2026-10").json()
    assert country["area"] is None
    assert [r["code"] for r in country["rows"]] == ["52", "62"]
    # The whole country's month is WIB's (settings.TIME_ZONE): Eka's visit at 00:30 WITA on 1 November is
    # 23:30 WIB on 31 October, so October counts both of Eka's visits here, unlike Mataram's own report.
    assert country["total"]["figures"]["visits"] == 5


def test_a_facility_admin_gets_their_facilitys_cases_only(api, world):
    c = world.cast
    mine = api.as_(c.facility_admin_kasongan).get(URL, facility=str(c.pkm_kasongan.id), month="2026-10")
    other = api.as_(c.facility_admin_kasongan).get(URL, facility=str(c.pkm_tamiang.id), month="2026-10")
    no_facility = api.as_(c.facility_admin_kasongan).get(URL, area="62.06", month="2026-10")

    assert mine.status_code == 200
    assert mine.json()["facility"]["code"] == "T-PKM-KSG"
    # Ani's case only: Citra's was still only offered to the facility at the end of October.
    assert mine.json()["total"]["figures"]["escalations_created"] == 1
    assert other.status_code == 404
    assert no_facility.status_code == 404


@pytest.mark.parametrize(
    ("month", "code"),
    [
        ("2026-13", "invalid_month"),
        ("10-2026", "invalid_month"),
        ("2026-1", "invalid_month"),
        ("", "invalid_month"),
    ],
)
def test_a_malformed_month_is_a_validation_error(api, world, month, code):
    res = api.as_(world.cast.coordinator_katingan).get(URL, area="62.06", month=month)

    assert res.status_code == 422
    detail = res.json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == ("month", code)


def test_a_month_after_the_current_one_in_the_areas_time_zone_is_refused(api, world):
    coordinator = api.as_(world.cast.coordinator_mataram)
    # 16:30 UTC on 31 October is already 1 November in Mataram (WITA): November is the current month there.
    with time_machine.travel("2026-10-31T16:30:00+00:00", tick=False):
        current = coordinator.get(URL, area="52.71", month="2026-11")
        future = coordinator.get(URL, area="52.71", month="2026-12")

    assert current.status_code == 200
    assert future.status_code == 422
    assert future.json()["error"]["details"][0]["code"] == "month_in_future"


def test_a_coordinator_must_name_the_area(api, world):
    res = api.as_(world.cast.coordinator_katingan).get(URL, month="2026-10")

    assert res.status_code == 422
    assert res.json()["error"]["details"][0]["field"] == "area"


def test_the_csv_download_has_a_bom_and_the_same_numbers_as_the_json(api, world):
    user = api.as_(world.cast.coordinator_kalteng)
    body = user.get(URL, area="62", month="2026-10").json()

    res = user.get(URL, area="62", month="2026-10", format="csv")

    assert res.status_code == 200
    assert res["Content-Type"].startswith("text/csv")
    assert res["Content-Disposition"] == 'attachment; filename="pulih-laporan-62-2026-10.csv"'
    assert res.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Kode wilayah", "Nama wilayah", "Klien baru terdaftar"]
    assert len(rows) == 1 + len(body["rows"]) + 1
    for row, expected in zip(rows[1:], [*body["rows"], body["total"]], strict=True):
        assert row[0] == expected["code"]
        figures, measures = row[2 : 2 + len(FIGURES)], row[2 + len(FIGURES) :]
        assert [int(v) for v in figures] == [expected["figures"][k] for k in FIGURES]
        assert [float(v) if v else None for v in measures] == [expected["measures"][k] for k in MEASURES]
    assert rows[-1][1] == "Jumlah"


def test_the_xlsx_download_opens_with_the_same_numbers_as_the_json(api, world):
    user = api.as_(world.cast.coordinator_katingan)
    body = user.get(URL, area="62.06.02", month="2026-10").json()

    res = user.get(URL, area="62.06.02", month="2026-10", format="xlsx")

    assert res.status_code == 200
    assert res["Content-Disposition"] == 'attachment; filename="pulih-laporan-62.06.02-2026-10.xlsx"'
    sheet = load_workbook(io.BytesIO(res.content)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Kode wilayah"
    assert [r[0] for r in rows[1:]] == ["62.06.02.1003", "62.06.02.2005", "62.06.02"]
    for row, expected in zip(rows[1:], [*body["rows"], body["total"]], strict=True):
        # A hidden cell carries its mark ("<5", or "*" for a complement), as in the JSON's `hidden`.
        shown = [expected["hidden"].get(k, expected["figures"][k]) for k in FIGURES]
        assert row[2 : 2 + len(FIGURES)] == shown
    assert "<5" in rows[1]


def test_the_api_answers_in_a_bounded_number_of_queries(api, world, django_assert_max_num_queries):
    user = api.as_(world.cast.coordinator_kalteng)

    # The table (9), the 12-month series (8 kinds of event, 1 for the month-end statuses), the field workers (4),
    # the user and their roles.
    with django_assert_max_num_queries(25):
        assert user.get(URL, area="62", month="2026-10").status_code == 200


def test_no_report_format_carries_a_clients_name_or_code(api, world):
    user = api.as_(world.cast.system_admin)
    outputs = [
        user.get(URL, month="2026-10").content.decode(),
        user.get(URL, month="2026-10", format="csv").content.decode("utf-8-sig"),
    ]
    sheets = load_workbook(io.BytesIO(user.get(URL, month="2026-10", format="xlsx").content)).worksheets
    outputs.append(repr([list(r) for s in sheets for r in s.iter_rows(values_only=True)]))

    for client in (world.ani, world.budi, world.citra, world.dedi, world.eka):
        for text in outputs:
            assert client.name not in text
            assert client.code not in text


def test_the_xlsx_says_what_the_report_covers(api, world):
    res = api.as_(world.cast.coordinator_mataram).get(URL, area="52.71", month="2026-10", format="xlsx")

    about = load_workbook(io.BytesIO(res.content))["Keterangan"]
    facts = {r[0]: r[1] for r in about.iter_rows(values_only=True)}
    assert facts["Wilayah"] == "52.71 Kota Mataram"
    assert facts["Bulan"] == "2026-10"
    assert facts["Zona waktu"] == "Asia/Makassar"
