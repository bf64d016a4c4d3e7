"""manage.py import_facilities: upsert by code, village must exist, bad rows reported and not saved."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from villages.models import Facility

COLUMNS = [
    "code",
    "name",
    "type",
    "is_ipwl",
    "village_code",
    "address",
    "phone",
    "lat",
    "lng",
    "inpatient_beds",
]
GOOD = [
    [
        "PKM-6206-KASONGAN-X",
        "Puskesmas Kasongan X",
        "puskesmas",
        "ya",
        "62.06.02.1003",
        "Jl. Tugu",
        "",
        "-1.907",
        "113.429",
        "",
    ],
    ["RSUD-6213-X", "RSUD Tamiang Layang X", "RSUD", "false", "6213011012", "", "0526 2091", "", "", "100"],
]


def run(tmp_path: Path, rows: list[list[str]], *args: str) -> str:
    path = tmp_path / "f.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    out = io.StringIO()
    call_command("import_facilities", str(path), *args, verbosity=0, stdout=out, stderr=out)
    return out.getvalue()


def test_it_imports_facilities_and_places_a_row_without_coordinates_at_its_village(
    geo: SimpleNamespace, tmp_path: Path
) -> None:
    output = run(tmp_path, GOOD)

    assert "2 baru" in output and "0 ditolak" in output
    pkm = Facility.objects.get(code="PKM-6206-KASONGAN-X")
    assert (pkm.type, pkm.is_ipwl, pkm.village_id) == ("puskesmas", True, "62.06.02.1003")
    rsud = Facility.objects.get(code="RSUD-6213-X")
    assert (rsud.type, rsud.is_ipwl, rsud.inpatient_beds, rsud.phone) == ("rsud", False, 100, "0526 2091")
    assert rsud.location.coords == pytest.approx(geo.tamiang_layang.point.coords)


def test_running_it_again_updates_the_same_rows_and_keeps_their_ids_and_active_flag(
    geo: SimpleNamespace, tmp_path: Path
) -> None:
    run(tmp_path, GOOD)
    first = Facility.objects.get(code="PKM-6206-KASONGAN-X")
    Facility.objects.filter(pk=first.pk).update(active=False)
    renamed = [[GOOD[0][0], "Puskesmas Kasongan Baru", *GOOD[0][2:]]]

    output = run(tmp_path, renamed)

    assert "0 baru, 1 diperbarui" in output
    again = Facility.objects.get(code="PKM-6206-KASONGAN-X")
    assert (again.pk, again.name, again.active) == (first.pk, "Puskesmas Kasongan Baru", False)


def test_it_rejects_bad_rows_with_a_report(geo: SimpleNamespace, tmp_path: Path) -> None:
    bad = [
        ["pkm kecil", "Kode Rusak", "puskesmas", "", "62.06.02.1003", "", "", "", "", ""],
        ["PKM-A", "", "puskesmas", "", "62.06.02.1003", "", "", "", "", ""],
        ["PKM-B", "Jenis Salah", "apotek", "", "62.06.02.1003", "", "", "", "", ""],
        ["PKM-C", "IPWL Salah", "puskesmas", "mungkin", "62.06.02.1003", "", "", "", "", ""],
        ["PKM-D", "Desa Tak Dikenal", "puskesmas", "", "62.06.99.9999", "", "", "", "", ""],
        ["PKM-E", "Bukan Desa", "puskesmas", "", "62.06.02", "", "", "", "", ""],
        ["PKM-F", "Titik Rusak", "puskesmas", "", "62.06.02.1003", "", "", "-1.9", "200", ""],
        ["PKM-G", "Kasur Rusak", "puskesmas", "", "62.06.02.1003", "", "", "", "", "-3"],
        ["PKM-H", "Baik", "puskesmas", "", "62.06.02.1003", "", "", "", "", ""],
        ["PKM-H", "Baik Kembar", "puskesmas", "", "62.06.02.1003", "", "", "", "", ""],
    ]
    report = tmp_path / "ditolak.csv"

    output = run(tmp_path, bad, "--report", str(report))

    assert "1 baru" in output and "9 ditolak" in output
    reasons = {(r["code"], r["reason"]) for r in csv.DictReader(report.open())}
    assert reasons == {
        ("pkm kecil", "invalid_code"),
        ("PKM-A", "invalid_name"),
        ("PKM-B", "invalid_type"),
        ("PKM-C", "invalid_boolean"),
        ("PKM-D", "unknown_village"),
        ("PKM-E", "unknown_village"),
        ("PKM-F", "invalid_point"),
        ("PKM-G", "invalid_number"),
        ("PKM-H", "duplicate"),
    }
    assert Facility.objects.get(code="PKM-H").name == "Baik"


@pytest.mark.django_db
def test_a_missing_file_or_missing_columns_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("import_facilities", "/nope/f.csv", verbosity=0)
    regions_csv = tmp_path / "regions.csv"
    regions_csv.write_text("code,level,parent_code,name\n62,province,,Kalimantan Tengah\n")
    with pytest.raises(CommandError):
        call_command("import_facilities", str(regions_csv), verbosity=0)
