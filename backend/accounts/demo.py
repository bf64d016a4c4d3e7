"""Demo users: one for every role in the demo regions, so anyone can sign in and try every flow.

Called by `manage.py load_demo` after the demo geography. Idempotent: a second run finds the same users by
phone and brings them back to the state below (roles, certificates, leave). Certificates and leave are set
relative to the day of loading, so "valid", "expired" and "on leave" stay true whenever the demo is run.
A user whose village, area or facility is missing is skipped with a warning, never a crash.
The table in DEMO_USERS.md lists the same users; a test keeps the two in step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from backend.accounts.models import (
    FACILITY_ROLES,
    CertificateKind,
    Certification,
    Role,
    RoleAssignment,
    User,
)
from villages.models import Facility, Region

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "pulih-demo-2026"
COORDINATOR_GROUP = "Koordinator BNN"
# What the villages admin asks of a coordinator (the accounts admin checks roles itself).
COORDINATOR_PERMISSIONS = ("view_region", "view_facility", "add_facility", "change_facility")

VALID, EXPIRED = "valid", "expired"


@dataclass(frozen=True)
class DemoUser:
    phone: str
    name: str
    role: str
    place: str  # region code, facility code, or "" for the system admin
    certificates: tuple[tuple[str, str], ...] = ()  # (kind, VALID | EXPIRED)
    on_leave: bool = False
    extra_roles: tuple[tuple[str, str], ...] = ()  # (role, place)


C, A = CertificateKind.COUNSELOR, CertificateKind.ASSESSOR
DEMO_USERS: tuple[DemoUser, ...] = (
    # Village officials and volunteers (kader / agen pemulihan).
    DemoUser(
        "+6281100000001", "Hasan Basri (Kepala Desa Kasongan Baru)", Role.VILLAGE_OFFICIAL, "62.06.02.1003"
    ),
    DemoUser("+6281100000002", "Siti Rahmah (Kader Kasongan Baru)", Role.VOLUNTEER, "62.06.02.1003"),
    DemoUser("+6281100000003", "Yohanes Sahay (Kader Talian Kereng)", Role.VOLUNTEER, "62.06.02.2005"),
    DemoUser(
        "+6281100000004", "Nurhayati (Sekretaris Desa Tamiang Layang)", Role.VILLAGE_OFFICIAL, "62.13.01.1012"
    ),
    DemoUser("+6281100000005", "Dedi Kurniawan (Kader Tamiang Layang)", Role.VOLUNTEER, "62.13.01.1012"),
    DemoUser("+6281100000006", "Baiq Lestari (Kader Ampenan Selatan)", Role.VOLUNTEER, "52.71.01.1004"),
    DemoUser("+6281100000007", "Muhammad Iqbal (Kader Kuta Blang)", Role.VOLUNTEER, "11.73.02.2001"),
    DemoUser("+6281100000008", "Rahmat Hidayat (Kader Tampan)", Role.VOLUNTEER, "14.71.11.1001"),
    # Counselors and assessors at facilities, with valid and expired certificates, one on leave.
    DemoUser(
        "+6281100000011",
        "dr. Rina Marlina (Konselor Puskesmas Kasongan)",
        Role.COUNSELOR,
        "PKM-6206-KASONGAN",
        ((C, VALID),),
    ),
    DemoUser(
        "+6281100000012",
        "Agus Salim, S.Psi. (Konselor RSUD Mas Amsyar, cuti)",
        Role.COUNSELOR,
        "RSUD-6206-MAS-AMSYAR",
        ((C, VALID),),
        on_leave=True,
    ),
    DemoUser(
        "+6281100000013",
        "dr. Maria Ulfa (Asesor RSUD Mas Amsyar)",
        Role.ASSESSOR,
        "RSUD-6206-MAS-AMSYAR",
        ((A, VALID),),
    ),
    DemoUser(
        "+6281100000014",
        "Bambang Susilo (Asesor Puskesmas Kasongan, sertifikat kedaluwarsa)",
        Role.ASSESSOR,
        "PKM-6206-KASONGAN",
        ((A, EXPIRED),),
    ),
    DemoUser(
        "+6281100000015",
        "dr. Yuliana (Konselor Puskesmas Tamiang Layang)",
        Role.COUNSELOR,
        "PKM-6213-TAMIANG-LAYANG",
        ((C, VALID),),
    ),
    DemoUser(
        "+6281100000016",
        "dr. Hendra (Asesor RSUD Tamiang Layang)",
        Role.ASSESSOR,
        "RSUD-6213-TAMIANG-LAYANG",
        ((A, VALID),),
    ),
    DemoUser(
        "+6281100000017",
        "dr. Lalu Ahmad (Konselor dan Asesor Klinik BNNK Mataram)",
        Role.COUNSELOR,
        "KLINIK-BNNK-5271-MATARAM",
        ((C, VALID), (A, VALID)),
        extra_roles=((Role.ASSESSOR, "KLINIK-BNNK-5271-MATARAM"),),
    ),
    DemoUser(
        "+6281100000018",
        "Ni Made Sari (Konselor Puskesmas Mataram, sertifikat kedaluwarsa)",
        Role.COUNSELOR,
        "PKM-5271-MATARAM",
        ((C, EXPIRED),),
    ),
    DemoUser(
        "+6281100000019",
        "Cut Nyak Dhien, S.Psi. (Konselor Puskesmas Banda Sakti)",
        Role.COUNSELOR,
        "PKM-1173-BANDA-SAKTI",
        ((C, VALID),),
    ),
    DemoUser(
        "+6281100000020",
        "Teuku Rizal (Konselor Yayasan Permata Atjeh Peduli)",
        Role.COUNSELOR,
        "YYS-1173-PERMATA-ATJEH",
        ((C, VALID),),
    ),
    DemoUser(
        "+6281100000021",
        "dr. Siska Amelia, Sp.KJ (Asesor RSJ Tampan)",
        Role.ASSESSOR,
        "RSJ-1471-TAMPAN",
        ((A, VALID),),
    ),
    DemoUser(
        "+6281100000022",
        "Zulfikar (Konselor Puskesmas Muara Satu)",
        Role.COUNSELOR,
        "PKM-1173-MUARA-SATU",
        ((C, VALID),),
    ),
    # Facility admins.
    DemoUser("+6281100000031", "Admin Puskesmas Kasongan", Role.FACILITY_ADMIN, "PKM-6206-KASONGAN"),
    DemoUser(
        "+6281100000032", "Admin Klinik Pratama BNNK Mataram", Role.FACILITY_ADMIN, "KLINIK-BNNK-5271-MATARAM"
    ),
    # BNN coordinators (they may also use the Django admin at /admin/ for their area).
    DemoUser("+6281100000041", "Koordinator BNNK Katingan", Role.COORDINATOR, "62.06"),
    DemoUser("+6281100000042", "Koordinator BNNP Kalimantan Tengah", Role.COORDINATOR, "62"),
    DemoUser("+6281100000043", "Koordinator BNNK Mataram", Role.COORDINATOR, "52.71"),
    DemoUser("+6281100000044", "Koordinator BNNK Lhokseumawe", Role.COORDINATOR, "11.73"),
    DemoUser("+6281100000045", "Koordinator BNNK Pekanbaru", Role.COORDINATOR, "14.71"),
    # System admin.
    DemoUser("+6281100000099", "Admin Sistem Pulih", Role.SYSTEM_ADMIN, ""),
)


def _places(demo: DemoUser) -> list[tuple[str, str]]:
    return [(demo.role, demo.place), *demo.extra_roles]


def _coordinator_group() -> Group:
    group, _ = Group.objects.get_or_create(name=COORDINATOR_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="villages", codename__in=COORDINATOR_PERMISSIONS)
    )
    return group


@transaction.atomic
def load_demo_users(*, today: date | None = None) -> int:
    """Create or refresh the demo users; returns how many are in place (skipped ones not counted)."""
    today = today or date.today()
    wanted = [p for d in DEMO_USERS for _, p in _places(d) if p]
    regions = set(Region.objects.filter(code__in=wanted).values_list("code", flat=True))
    facilities = dict(Facility.objects.filter(code__in=wanted).values_list("code", "id"))
    password_hash: str | None = None
    group = _coordinator_group()
    loaded = 0
    for demo in DEMO_USERS:
        missing = [
            p
            for role, p in _places(demo)
            if p and p not in (facilities if role in FACILITY_ROLES else regions)
        ]
        if missing:
            logger.warning(
                "demo user %s (%s) skipped: %s not loaded", demo.phone, demo.name, ", ".join(missing)
            )
            continue
        user = User.objects.filter(phone=demo.phone).first()
        if user is None:
            password_hash = password_hash or make_password(DEMO_PASSWORD)  # hashing is slow: once per run
            user = User(phone=demo.phone, password=password_hash)
        user.name = demo.name
        user.is_active = True
        user.is_staff = demo.role in (Role.COORDINATOR, Role.SYSTEM_ADMIN)
        user.is_superuser = demo.role == Role.SYSTEM_ADMIN
        user.on_leave_from = today - timedelta(days=3) if demo.on_leave else None
        user.on_leave_until = today + timedelta(days=14) if demo.on_leave else None
        user.save()
        for role, place in _places(demo):
            fields = (
                {"facility_id": facilities[place]} if role in FACILITY_ROLES else {"region_id": place or None}
            )
            RoleAssignment.objects.update_or_create(user=user, role=role, **fields, defaults={"active": True})
        for kind, state in demo.certificates:
            issued, expires = (
                (today - timedelta(days=400), today + timedelta(days=730))
                if state == VALID
                else (today - timedelta(days=3 * 365), today - timedelta(days=45))
            )
            Certification.objects.update_or_create(
                issuer="BNN RI",
                number=f"DEMO-{kind[:3].upper()}-{demo.phone[-4:]}",
                defaults={
                    "user": user,
                    "kind": kind,
                    "issued_on": issued,
                    "expires_on": expires,
                    "revoked": False,
                },
            )
        if demo.role == Role.COORDINATOR:
            user.groups.add(group)
        loaded += 1
    return loaded
