"""CSV import in the Django admin: checked first (nothing saved), then applied; a coordinator only in their area."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from backend.accounts.admin.users import IMPORT_SALT
from backend.accounts.models import Role, RoleAssignment, User
from tests.accounts.test_admin import admin_client

pytestmark = pytest.mark.django_db

URL = "/admin/accounts/user/impor/"
HEADER = "nama,no_hp,peran,kode_wilayah,kode_fasilitas\n"


def upload(client: Client, text: str, name: str = "pengguna.csv") -> Any:
    return client.post(URL, {"file": SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")})


def confirm(client: Client, checked: Any) -> Any:
    return client.post(URL, {"payload": checked.context["payload"]})


MIXED = (
    HEADER
    + "Ani Kader,081271000001,kader,62.06.02.2005,\n"  # line 2: Katingan village
    + "Budi Ampenan,081271000002,kader,52.71.01.1004,\n"  # line 3: Mataram
    + "dr. Citra,081271000003,konselor,,T-PKM-KSG\n"  # line 4: facility in Katingan
    + "dr. Dedi,081271000004,konselor,,T-PKM-TML\n"  # line 5: facility in another regency
    + "Eko BNNP,081271000005,koordinator,62,\n"  # line 6: the province, wider than Katingan
)


def test_a_coordinator_checks_a_file_then_imports_only_the_rows_of_their_area(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    checked = upload(client, MIXED)
    assert checked.status_code == 200
    result = checked.context["result"]
    assert result.dry_run and result.users_created == 2
    refused = {r.line: r.reason for r in result.refused}
    assert set(refused) == {3, 5, 6}
    assert "wilayah Anda" in refused[3] and "wilayah Anda" in refused[5] and "wilayah Anda" in refused[6]
    assert 'id="refused-rows"' in checked.content.decode()
    assert not User.objects.filter(phone__startswith="+62812710000").exists()  # a check saves nothing

    done = confirm(client, checked)
    assert done.status_code == 200
    assert not done.context["result"].dry_run
    assert set(User.objects.filter(phone__startswith="+62812710000").values_list("phone", flat=True)) == {
        "+6281271000001",
        "+6281271000003",
    }
    assert not RoleAssignment.objects.filter(
        region_id__in=["52.71.01.1004", "62"], user__name__in=["Budi Ampenan", "Eko BNNP"]
    ).exists()


def test_the_changelist_links_to_the_import(cast) -> None:  # type: ignore[no-untyped-def]
    page = admin_client(cast.coordinator_katingan).get("/admin/accounts/user/")
    assert URL in page.content.decode()


def test_a_system_admin_imports_anywhere(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.system_admin)
    checked = upload(client, MIXED)
    assert checked.context["result"].refused == []
    confirm(client, checked)
    assert User.objects.filter(phone__startswith="+62812710000").count() == 5


def test_a_staff_member_without_a_coordinator_role_cannot_import(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.volunteer_katingan)
    assert client.get(URL).status_code == 403
    assert upload(client, MIXED).status_code == 403
    assert not User.objects.filter(phone__startswith="+62812710000").exists()


def test_a_forged_or_borrowed_confirmation_imports_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    """The confirmation carries the checked file signed for its user: an edited file, or one checked by
    another coordinator, is refused; and every row is checked against the area again anyway."""
    katingan = admin_client(cast.coordinator_katingan)
    forged = signing.dumps({"user": str(cast.coordinator_katingan.pk), "csv": MIXED}, salt="other")
    assert katingan.post(URL, {"payload": forged}).status_code == 200
    checked_by_province = upload(admin_client(cast.coordinator_kalteng), MIXED)
    katingan = admin_client(cast.coordinator_katingan)
    response = confirm(katingan, checked_by_province)
    assert response.status_code == 200 and "result" not in response.context
    assert not User.objects.filter(phone__startswith="+62812710000").exists()
    # A validly signed file still goes through the area check on the real run.
    own = signing.dumps({"user": str(cast.coordinator_katingan.pk), "csv": MIXED}, salt=IMPORT_SALT)
    katingan.post(URL, {"payload": own})
    assert not User.objects.filter(phone="+6281271000002").exists()


def test_an_import_never_changes_an_existing_users_password(cast) -> None:  # type: ignore[no-untyped-def]
    """A coordinator must not take a user over through the import: the password column is for new users."""
    RoleAssignment.objects.create(user=cast.system_admin, role=Role.VOLUNTEER, region_id="62.06.02.1003")
    before = User.objects.get(pk=cast.system_admin.pk).password
    client = admin_client(cast.coordinator_katingan)
    text = (
        "nama,no_hp,peran,kode_wilayah,kode_fasilitas,password\n"
        f"Admin,{cast.system_admin.phone},kader,62.06.02.2005,,Takeover-12345!\n"
    )
    confirm(client, upload(client, text))
    assert User.objects.get(pk=cast.system_admin.pk).password == before


def test_a_file_without_the_columns_or_not_text_is_refused_whole(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    response = upload(client, "nama,no_hp\nAni,081271000001\n")
    assert response.status_code == 200 and "file" in response.context["form"].errors
    binary = client.post(URL, {"file": SimpleUploadedFile("x.csv", b"\x81\x8d\x8f\x90\x9d", "text/csv")})
    assert "file" in binary.context["form"].errors
    assert not User.objects.filter(phone="+6281271000001").exists()


def test_a_windows_excel_file_in_cp1252_is_read(cast) -> None:  # type: ignore[no-untyped-def]
    client = admin_client(cast.coordinator_katingan)
    text = HEADER + "Andr\u00e9 Kader,081271000009,kader,62.06.02.2005,\n"
    checked = client.post(URL, {"file": SimpleUploadedFile("x.csv", text.encode("cp1252"), "text/csv")})
    assert checked.context["result"].users_created == 1
    confirm(client, checked)
    assert User.objects.get(phone="+6281271000009").name == "Andr\u00e9 Kader"
