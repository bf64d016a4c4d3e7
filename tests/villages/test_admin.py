"""The admin for regions and facilities: searchable, filterable, and scoped to a coordinator's area."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from backend.accounts.models import Role, RoleAssignment, User
from villages.models import Facility


@pytest.fixture
def admin_client_(geo: SimpleNamespace) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("081299990099", None, name="Admin"))
    return client


@pytest.fixture
def coordinator_client(geo: SimpleNamespace) -> Client:
    """A BNNK Katingan coordinator with admin access to facilities and regions."""
    user = User.objects.create_user("081299990032", None, name="Koordinator Katingan", is_staff=True)
    RoleAssignment.objects.create(user=user, role=Role.COORDINATOR, region_id="62.06")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="villages", codename__regex=r"^(view|change|add)_")
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_region_list_searches_by_code_prefix_and_name_and_filters(admin_client_: Client) -> None:
    page = admin_client_.get("/admin/villages/region/", {"q": "62.06", "level__exact": "village"})
    assert page.status_code == 200
    assert b"Kasongan Baru" in page.content and b"Ampenan Selatan" not in page.content

    page = admin_client_.get("/admin/villages/region/", {"q": "ampenan", "provinsi": "52"})
    assert b"Ampenan Selatan" in page.content and b"Kasongan Baru" not in page.content
    assert "Desa/Kelurahan" in page.content.decode()  # level labels in Bahasa Indonesia


def test_the_facility_list_filters_by_type_ipwl_and_province(admin_client_: Client) -> None:
    page = admin_client_.get("/admin/villages/facility/", {"type__exact": "puskesmas", "provinsi": "62"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Puskesmas Kasongan" in content and "Puskesmas Tamiang Layang" in content
    assert "RSUD Mas Amsyar" not in content and "Puskesmas Ampenan" not in content
    assert (
        "Puskesmas Kasongan"
        in admin_client_.get("/admin/villages/facility/", {"q": "kasongan"}).content.decode()
    )


def test_the_change_pages_open(admin_client_: Client, geo: SimpleNamespace) -> None:
    assert admin_client_.get(f"/admin/villages/facility/{geo.pkm_kasongan.pk}/change/").status_code == 200
    assert admin_client_.get("/admin/villages/region/62.06.02.1003/change/").status_code == 200
    assert admin_client_.get("/admin/villages/facility/add/").status_code == 200


def test_a_coordinator_sees_only_facilities_of_their_area(
    coordinator_client: Client, geo: SimpleNamespace
) -> None:
    content = coordinator_client.get("/admin/villages/facility/").content.decode()
    assert "Puskesmas Kasongan" in content and "RSUD Mas Amsyar Kasongan" in content
    assert "Puskesmas Tamiang Layang" not in content and "Puskesmas Ampenan" not in content
    outside = coordinator_client.get(f"/admin/villages/facility/{geo.pkm_tamiang.pk}/change/")
    assert outside.status_code == 302  # Django's admin redirects away from an object it cannot find


def _facility_form(village: str) -> dict[str, str]:
    return {
        "code": "PKM-6206-BARU",
        "name": "Puskesmas Baru",
        "type": "puskesmas",
        "active": "on",
        "village": village,
        "location": '{"type": "Point", "coordinates": [113.43, -1.91]}',
        "inpatient_beds": "0",
        "outpatient_capacity_per_month": "0",
    }


def test_a_coordinator_cannot_place_a_facility_outside_their_area(coordinator_client: Client) -> None:
    refused = coordinator_client.post("/admin/villages/facility/add/", _facility_form("62.13.01.1012"))
    assert refused.status_code == 200 and not Facility.objects.filter(code="PKM-6206-BARU").exists()
    assert "di luar wilayah Anda" in refused.content.decode()

    accepted = coordinator_client.post("/admin/villages/facility/add/", _facility_form("62.06.02.2005"))
    assert accepted.status_code == 302
    assert Facility.objects.get(code="PKM-6206-BARU").village_id == "62.06.02.2005"


def test_a_facility_must_sit_in_a_village_not_a_larger_area(admin_client_: Client) -> None:
    refused = admin_client_.post("/admin/villages/facility/add/", _facility_form("62.06.02"))
    assert refused.status_code == 200 and not Facility.objects.filter(code="PKM-6206-BARU").exists()
