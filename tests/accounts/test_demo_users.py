"""Demo users: one per role in the demo regions, idempotent, and tolerant of missing places."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point

from backend.accounts.demo import DEMO_PASSWORD, DEMO_USERS, load_demo_users
from backend.accounts.models import CertificateKind, Certification, Role, RoleAssignment, User
from backend.accounts.selectors import staff_eligible_qs
from tests.accounts.login_helpers import post
from villages.models import Facility, FacilityType

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


@pytest.fixture
def kasongan_facilities(cast) -> None:  # type: ignore[no-untyped-def]
    """The cast's geography plus two facilities under their real demo codes."""
    for code, name, kind in (
        ("PKM-6206-KASONGAN", "Puskesmas Kasongan", FacilityType.PUSKESMAS),
        ("RSUD-6206-MAS-AMSYAR", "RSUD Mas Amsyar Kasongan", FacilityType.RSUD),
    ):
        Facility.objects.create(
            code=code,
            name=name,
            type=kind,
            village_id="62.06.02.1003",
            location=Point(113.43, -1.9, srid=4326),
        )


def test_it_loads_the_users_whose_places_exist_and_skips_the_rest_saying_so(
    kasongan_facilities, caplog
) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING, logger="backend.accounts.demo"):
        loaded = load_demo_users(today=TODAY)
    demo_phones = {d.phone for d in DEMO_USERS}
    present = set(User.objects.filter(phone__in=demo_phones).values_list("phone", flat=True))
    assert loaded == len(present)
    # Katingan, Barito Timur and Mataram villages and areas exist in the cast; Lhokseumawe and Pekanbaru do not.
    assert {
        "+6281100000001",
        "+6281100000005",
        "+6281100000006",
        "+6281100000041",
        "+6281100000099",
    } <= present
    assert {
        "+6281100000011",
        "+6281100000012",
        "+6281100000013",
        "+6281100000014",
        "+6281100000031",
    } <= present
    assert "+6281100000007" not in present  # Kuta Blang (Lhokseumawe) is not in the cast
    assert "+6281100000021" not in present  # nor RSJ Tampan
    skipped = [r.getMessage() for r in caplog.records]
    assert any("+6281100000021" in m and "RSJ-1471-TAMPAN" in m for m in skipped)
    assert len(skipped) == len(demo_phones) - loaded


def test_loading_twice_changes_nothing(kasongan_facilities) -> None:  # type: ignore[no-untyped-def]
    first = load_demo_users(today=TODAY)
    counts = (User.objects.count(), RoleAssignment.objects.count(), Certification.objects.count())
    hashes = dict(User.objects.values_list("phone", "password"))
    assert load_demo_users(today=TODAY) == first
    assert (User.objects.count(), RoleAssignment.objects.count(), Certification.objects.count()) == counts
    assert dict(User.objects.values_list("phone", "password")) == hashes


def test_demo_staff_have_valid_and_expired_certificates_and_one_is_on_leave(kasongan_facilities) -> None:  # type: ignore[no-untyped-def]
    load_demo_users(today=TODAY)
    counselors = set(
        staff_eligible_qs(kind=CertificateKind.COUNSELOR, on=TODAY).values_list("phone", flat=True)
    )
    assessors = set(
        staff_eligible_qs(kind=CertificateKind.ASSESSOR, on=TODAY).values_list("phone", flat=True)
    )
    assert "+6281100000011" in counselors
    assert "+6281100000012" not in counselors  # on leave
    assert "+6281100000012" in staff_eligible_qs(
        kind=CertificateKind.COUNSELOR, on=TODAY + timedelta(days=30)
    ).values_list("phone", flat=True)
    assert "+6281100000013" in assessors
    assert "+6281100000014" not in assessors  # expired certificate
    assert Certification.objects.get(user__phone="+6281100000014").expires_on < TODAY


def test_every_role_has_a_demo_user() -> None:
    roles = {d.role for d in DEMO_USERS} | {r for d in DEMO_USERS for r, _ in d.extra_roles}
    assert roles == set(Role.values)


def test_a_demo_user_signs_in_with_the_demo_password(kasongan_facilities) -> None:  # type: ignore[no-untyped-def]
    load_demo_users(today=TODAY)
    response = post("/auth/login", {"phone": "0811-0000-0002", "password": DEMO_PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["roles"][0]["region_code"] == "62.06.02.1003"


def test_demo_coordinators_and_the_system_admin_can_use_the_admin(kasongan_facilities) -> None:  # type: ignore[no-untyped-def]
    load_demo_users(today=TODAY)
    coordinator = User.objects.get(phone="+6281100000041")
    admin = User.objects.get(phone="+6281100000099")
    assert coordinator.is_staff and not coordinator.is_superuser
    assert coordinator.has_perm("villages.view_region")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.get(phone="+6281100000002").is_staff


def test_the_demo_users_table_lists_every_demo_user() -> None:
    table = (Path(__file__).resolve().parents[2] / "backend" / "accounts" / "DEMO_USERS.md").read_text()
    assert set(re.findall(r"`(\+62\d+)`", table)) == {d.phone for d in DEMO_USERS}
    assert DEMO_PASSWORD in table


def test_all_demo_users_load_on_the_real_demo_geography() -> None:
    from villages.demo import load_demo_geography

    load_demo_geography()
    assert load_demo_users(today=TODAY) == len(DEMO_USERS)
