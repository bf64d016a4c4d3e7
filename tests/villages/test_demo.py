"""The demo geography committed under fixtures/: every district and village of the five demo areas."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.gis.db.models.functions import Distance
from django.db.models import F

from villages.demo import load_demo_geography
from villages.models import Facility, Region

pytestmark = pytest.mark.django_db

REQUIRED = {
    # code: (name, type, is_ipwl)
    "PKM-6206-KASONGAN": ("Puskesmas Kasongan", "puskesmas", True),
    "RSUD-6206-MAS-AMSYAR": ("RSUD Mas Amsyar Kasongan", "rsud", True),
    "PKM-6213-TAMIANG-LAYANG": ("Puskesmas Tamiang Layang", "puskesmas", False),
    "RSUD-6213-TAMIANG-LAYANG": ("RSUD Tamiang Layang", "rsud", True),
    "PKM-1173-BANDA-SAKTI": ("Puskesmas Banda Sakti", "puskesmas", False),
    "PKM-1173-MUARA-SATU": ("Puskesmas Muara Satu", "puskesmas", False),
    "PKM-1173-MUARA-DUA": ("Puskesmas Muara Dua", "puskesmas", False),
    "PKM-1173-MON-GEUDONG": ("Puskesmas Mon Geudong", "puskesmas", False),
    "YYS-1173-PERMATA-ATJEH": ("Yayasan Permata Atjeh Peduli", "yayasan", True),
    "RSJ-1471-TAMPAN": ("RSJ Tampan", "rsj", True),
    "KLINIK-BNNK-5271-MATARAM": ("Klinik Pratama BNNK Mataram", "klinik_bnn", True),
    "PKM-5271-MATARAM": ("Puskesmas Mataram", "puskesmas", False),
}


def test_it_loads_every_district_and_village_of_the_demo_areas() -> None:
    regions, facilities = load_demo_geography()

    assert regions == 522 and facilities == Facility.objects.count() >= 60
    counts = {
        level: Region.objects.filter(level=level).count() for level in ("province", "regency", "district")
    }
    assert counts == {"province": 4, "regency": 5, "district": 48}
    villages = Region.objects.filter(level="village")
    assert villages.count() == 465 and not villages.filter(point__isnull=True).exists()
    per_area = {
        c: villages.filter(code__startswith=c + ".").count()
        for c in ("62.06", "62.13", "11.73", "14.71", "52.71")
    }
    assert sum(per_area.values()) == 465 and min(per_area.values()) > 0
    assert Region.objects.get(code="62.06.02.1003").name == "Kasongan Baru"
    assert Region.objects.get(code="62.06.02.1003").postal_code.isdigit()
    assert set(Region.objects.filter(code__startswith="52").values_list("timezone", flat=True)) == {
        "Asia/Makassar"
    }
    assert set(Region.objects.exclude(code__startswith="52").values_list("timezone", flat=True)) == {
        "Asia/Jakarta"
    }


def test_the_facilities_other_demo_data_relies_on_are_there() -> None:
    load_demo_geography()

    found = {f.code: (f.name, f.type, f.is_ipwl) for f in Facility.objects.filter(code__in=REQUIRED)}
    assert found == REQUIRED


def test_every_facility_sits_in_a_village_of_its_own_area_near_that_village() -> None:
    load_demo_geography()

    for facility in Facility.objects.select_related("village").annotate(
        km=Distance("location", F("village__point"))
    ):
        regency = (
            facility.code.split("-")[-2]
            if facility.code.startswith("KLINIK")
            else facility.code.split("-")[1]
        )
        assert facility.village_id.replace(".", "").startswith(regency), facility.code
        assert facility.village.level == "village"
        # Villages in Katingan's interior are large; 25 km still catches a facility put in the wrong place.
        assert facility.km.km < 25, (facility.code, facility.km.km)


def test_loading_it_twice_changes_nothing_and_keeps_facility_ids() -> None:
    load_demo_geography()
    ids = dict(Facility.objects.values_list("code", "id"))

    assert load_demo_geography() == (522, len(ids))

    assert dict(Facility.objects.values_list("code", "id")) == ids
    assert Region.objects.count() == 522


def test_it_loads_on_top_of_the_test_cast_geography(geo: SimpleNamespace) -> None:
    load_demo_geography()
    assert Facility.objects.filter(code__startswith="T-").count() == 4
    assert Region.objects.filter(level="village").count() == 465


def test_the_committed_facility_csv_is_what_the_build_script_lists() -> None:
    """The CSV is built by fixtures/build_demo_regions.py; an edit to one without the other shows here."""
    import csv

    from django.conf import settings

    from fixtures.build_demo_regions import FACILITIES

    with (settings.BASE_DIR / "fixtures" / "facilities_demo.csv").open(encoding="utf-8") as f:
        rows = {r["code"]: r for r in csv.DictReader(f)}
    assert list(rows) == [f[0] for f in FACILITIES]
    for code, name, ftype, ipwl, lat, lng, village, _beds in FACILITIES:
        assert (rows[code]["name"], rows[code]["type"], rows[code]["is_ipwl"]) == (
            name,
            ftype,
            str(ipwl).lower(),
        )
        if village:
            assert rows[code]["village_code"] == village
        if lat is not None:
            assert (float(rows[code]["lat"]), float(rows[code]["lng"])) == (lat, lng)
