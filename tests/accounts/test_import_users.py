"""manage.py import_users: the regencies' volunteer lists, validated row by row, applied in one transaction."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from backend.accounts.imports import users_import_csv
from backend.accounts.models import Role, RoleAssignment, User

pytestmark = pytest.mark.django_db

HEADER = "nama,no_hp,peran,kode_wilayah,kode_fasilitas\n"


def run(tmp_path: Path, text: str, *args: str) -> tuple[str, str]:
    path = tmp_path / "pengguna.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_users", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_every_role_from_a_regency_list(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, err = run(
        tmp_path,
        HEADER
        + "Ani Kader,0812-7100-0001,kader,62.06.02.2005,\n"
        + "Budi Aparat,+62 812 7100 0002,aparatur_desa,62.06.02.1003,\n"
        + "dr. Citra,6281271000003,konselor,,T-PKM-KSG\n"
        + "Dewi Asesor,081271000004,asesor,,T-RSUD-KSG\n"
        + "Eko Admin,081271000005,admin_fasilitas,,T-PKM-KSG\n"
        + "Fajar BNNK,081271000006,koordinator,62.06,\n",
    )
    assert err == ""
    assert "6 pengguna baru" in out
    roles = dict(
        RoleAssignment.objects.filter(user__phone__startswith="+62812710000").values_list(
            "user__phone", "role"
        )
    )
    assert roles == {
        "+6281271000001": Role.VOLUNTEER,
        "+6281271000002": Role.VILLAGE_OFFICIAL,
        "+6281271000003": Role.COUNSELOR,
        "+6281271000004": Role.ASSESSOR,
        "+6281271000005": Role.FACILITY_ADMIN,
        "+6281271000006": Role.COORDINATOR,
    }
    assert not User.objects.get(phone="+6281271000001").has_usable_password()


def test_importing_the_same_list_twice_changes_nothing(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = HEADER + "Ani Kader,081271000001,kader,62.06.02.2005,\n"
    run(tmp_path, text)
    out, _ = run(tmp_path, text)
    assert "0 pengguna baru, 0 peran ditambahkan, 1 tidak berubah" in out
    assert User.objects.filter(phone="+6281271000001").count() == 1


def test_an_existing_phone_gets_only_the_missing_role(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, _ = run(tmp_path, HEADER + "Nama Lain,081200000001,aparatur_desa,62.06.02.1003,\n")
    assert "0 pengguna baru, 1 peran ditambahkan" in out
    user = User.objects.get(phone="+6281200000001")
    assert user.name == "Siti Kader Kasongan"  # the existing record keeps its name
    assert set(user.roles.values_list("role", flat=True)) == {Role.VOLUNTEER, Role.VILLAGE_OFFICIAL}


def test_refused_rows_are_reported_with_line_and_reason_and_the_rest_imported(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "ditolak.csv"
    out, err = run(
        tmp_path,
        HEADER
        + "Baik,081271000001,kader,62.06.02.2005,\n"  # line 2
        + "Nomor Salah,12345,kader,62.06.02.2005,\n"  # line 3
        + "Peran Aneh,081271000003,dukun,62.06.02.2005,\n"  # line 4
        + "Desa Hilang,081271000004,kader,62.06.99.9999,\n"  # line 5
        + "Bukan Desa,081271000005,kader,62.06,\n"  # line 6
        + "Fasilitas Hilang,081271000006,konselor,,PKM-TIDAK-ADA\n"  # line 7
        + "Koordinator Desa,081271000007,koordinator,62.06.02.1003,\n"  # line 8
        + ",081271000008,kader,62.06.02.2005,\n"  # line 9
        + "Tanpa Fasilitas,081271000009,asesor,,\n",  # line 10
        "--report",
        str(report),
    )
    assert "1 pengguna baru" in out and "8 ditolak" in out
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [int(r["baris"]) for r in rows] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = {int(r["baris"]): r["alasan"] for r in rows}
    assert "no_hp" in reasons[3] and "peran" in reasons[4] and "62.06.99.9999" in reasons[5]
    assert "desa" in reasons[6] and "PKM-TIDAK-ADA" in reasons[7] and "kabupaten" in reasons[8]
    assert "nama" in reasons[9] and "kode_fasilitas" in reasons[10]
    assert "baris 3" in err
    assert User.objects.filter(phone__startswith="+62812710000").count() == 1


def test_a_dry_run_checks_everything_and_saves_nothing(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, err = run(
        tmp_path, HEADER + "Ani,081271000001,kader,62.06.02.2005,\nBudi,0,kader,62.06.02.2005,\n", "--dry-run"
    )
    assert "uji coba" in out and "1 pengguna baru" in out and "1 ditolak" in out
    assert "baris 3" in err
    assert not User.objects.filter(phone="+6281271000001").exists()


def test_a_password_column_gives_new_users_a_password(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run(
        tmp_path,
        "nama,no_hp,peran,kode_wilayah,kode_fasilitas,password\n"
        "Ani,081271000001,kader,62.06.02.2005,,kata-sandi-panjang-1\n"
        "Budi,081271000002,kader,62.06.02.2005,,\n",
    )
    assert User.objects.get(phone="+6281271000001").check_password("kata-sandi-panjang-1")
    assert not User.objects.get(phone="+6281271000002").has_usable_password()


def test_it_reads_a_spreadsheet_export_with_a_bom_and_semicolons(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffNama;No_HP;Peran;Kode_Wilayah;Kode_Fasilitas\r\nAni;081271000001;Kader;62.06.02.2005;\r\n\r\n".encode()
    )
    out = StringIO()
    call_command("import_users", str(path), stdout=out, stderr=StringIO())
    assert "1 baris: 1 pengguna baru" in out.getvalue()


def test_a_file_without_the_required_columns_is_refused_whole(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="kode_fasilitas"):
        run(tmp_path, "nama,no_hp,peran,kode_wilayah\nAni,081271000001,kader,62.06.02.2005\n")


def test_an_over_long_name_or_a_nul_character_refuses_that_row_only(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Bug: a 200-character name made the whole import fail with a DataError and import nothing; a NUL
    character would do the same. Both are now refused rows with a reason, and the valid rows are imported."""
    report = tmp_path / "ditolak.csv"
    out, err = run(
        tmp_path,
        HEADER
        + "Siti,081311112222,kader,62.06.02.1003,\n"  # line 2
        + "X" * 200
        + ",081311113333,kader,62.06.02.1003,\n"  # line 3
        + "Nul\x00Nama,081311114444,kader,62.06.02.1003,\n"  # line 4
        + "Kode Nul,081311115555,kader,62.06\x00,\n"  # line 5
        + "Y" * 150
        + ",081311116666,kader,62.06.02.1003,\n",  # line 6: exactly the limit
        "--report",
        str(report),
    )
    assert "5 baris: 2 pengguna baru" in out and "3 ditolak" in out
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [int(r["baris"]) for r in rows] == [3, 4, 5]
    assert "nama" in rows[0]["alasan"] and "NUL" in rows[1]["alasan"] and "NUL" in rows[2]["alasan"]
    assert "\x00" not in report.read_text(encoding="utf-8")
    assert set(User.objects.filter(phone__startswith="+628131111").values_list("phone", flat=True)) == {
        "+6281311112222",
        "+6281311116666",
    }


def test_the_library_call_reports_the_long_name_instead_of_raising(cast) -> None:  # type: ignore[no-untyped-def]
    """Same bug through users_import_csv directly (the admin upload uses it too)."""
    result = users_import_csv(stream=StringIO(HEADER + "Z" * 151 + ",081311117777,kader,62.06.02.1003,\n"))
    assert result.users_created == 0 and [r.line for r in result.refused] == [2]
