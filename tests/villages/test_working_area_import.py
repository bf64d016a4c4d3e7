"""The facility import sets the working area (wilayah kerja) that routing's catchment tier reads."""

from __future__ import annotations

import pytest

from villages.models import Facility
from villages.services import facilities_import

pytestmark = pytest.mark.django_db

ROW = {
    "code": "PKM-TEST",
    "name": "Puskesmas Uji",
    "is_ipwl": "false",
    "village_code": "62.06.02.1003",
    "lat": "-1.9",
    "lng": "113.4",
}


def test_a_puskesmas_without_a_working_area_serves_its_own_kecamatan(cast):
    report = facilities_import([(2, {**ROW, "type": "puskesmas"})])

    assert not report.rejected
    assert Facility.objects.get(code="PKM-TEST").working_area == ["62.06.02"]


def test_a_working_area_column_lists_kecamatan_codes_and_other_facilities_get_none(cast):
    facilities_import([(2, {**ROW, "type": "puskesmas", "working_area": "62.06.02; 6206030000"})])
    facilities_import([(3, {**ROW, "code": "RSUD-TEST", "type": "rsud"})])

    assert Facility.objects.get(code="PKM-TEST").working_area == ["62.06.02", "62.06.03.0000"]
    assert Facility.objects.get(code="RSUD-TEST").working_area == []


def test_a_malformed_working_area_is_rejected_with_its_field(cast):
    report = facilities_import([(2, {**ROW, "type": "puskesmas", "working_area": "62"})])

    assert [(r.line, r.field) for r in report.rejected] == [(2, "working_area")]
