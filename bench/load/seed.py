"""The dataset of the load scenario, in its own database on the embedded cluster (`bench_pulih_load`).

Not the national dataset of issue 11 ("Fast at national scale"), which does not exist yet: a regency-sized slice
instead. The cast of tests/cast.py (Katingan, Barito Timur, Mataram), plus, in Katingan Hilir:
- VILLAGES synthetic villages around Kasongan, each with VOLUNTEERS_PER_VILLAGE volunteers and
  CLIENTS_PER_VOLUNTEER clients (data-collection and referral consent given), each client with
  VISITS_PER_CLIENT visits over the last 150 days;
- FACILITIES puskesmas with COUNSELORS + ASSESSORS certified staff spread among them (caseload cap raised so
  that a long run does not fill every caseload and push escalations to the coordinator);
- the cast's coordinators of the regency (62.06) and the province (62).

Rows are written in bulk (one password hash shared by every bench user, computed once with the production
hasher, so that the server checks sign-ins at their real cost). `seed()` returns what the locust users need
(`bench/load/locustfile.py` reads it from the JSON file the driver writes).
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

VILLAGES = 40
VOLUNTEERS_PER_VILLAGE = 2
CLIENTS_PER_VOLUNTEER = 25
VISITS_PER_CLIENT = 10
FACILITIES = 8
COUNSELORS = 16
ASSESSORS = 8
PASSWORD = "kata-sandi-beban-2026"
DISTRICT = "62.06.02"
BASE_LAT, BASE_LON = -1.90, 113.40


def _phone(prefix: str, n: int) -> str:
    return f"+62857{prefix}{n:05d}"


def seed(*, rng_seed: int = 12) -> dict[str, Any]:
    """Flush the bench database and write the dataset; returns the users and ids the scenario needs."""
    from backend.accounts.models import CertificateKind, Certification, Role, RoleAssignment, User
    from backend.recovery.models import Client, Consent, Visit
    from tests.cast import cast_build
    from villages.models import Facility, FacilityType, Region, RegionLevel

    rng = random.Random(rng_seed)
    call_command("flush", interactive=False, verbosity=0)
    cast = cast_build()
    hashed = make_password(PASSWORD)  # the production hasher (PBKDF2): sign-ins cost what they cost
    User.objects.filter(id__in=[cast.coordinator_katingan.id, cast.coordinator_kalteng.id]).update(
        password=hashed
    )

    villages = Region.objects.bulk_create(
        Region(
            code=f"{DISTRICT}.{3001 + i}",
            level=RegionLevel.VILLAGE,
            name=f"Desa Beban {i + 1}",
            parent_id=DISTRICT,
            timezone="Asia/Jakarta",
            point=Point(BASE_LON + rng.uniform(-0.3, 0.3), BASE_LAT + rng.uniform(-0.3, 0.3), srid=4326),
        )
        for i in range(VILLAGES)
    )
    facilities = Facility.objects.bulk_create(
        Facility(
            code=f"LOAD-PKM-{i:03d}",
            name=f"Puskesmas Beban {i + 1}",
            type=FacilityType.PUSKESMAS,
            village_id=villages[i * VILLAGES // FACILITIES].code,
            is_ipwl=True,
            location=Point(BASE_LON + rng.uniform(-0.3, 0.3), BASE_LAT + rng.uniform(-0.3, 0.3), srid=4326),
        )
        for i in range(FACILITIES)
    )

    def users(prefix: str, n: int, name: str, **extra: Any) -> list[User]:
        return User.objects.bulk_create(
            User(phone=_phone(prefix, i), name=f"{name} {i + 1}", password=hashed, **extra) for i in range(n)
        )

    volunteers = users("1", VILLAGES * VOLUNTEERS_PER_VILLAGE, "Kader Beban")
    counselors = users("2", COUNSELORS, "Konselor Beban", caseload_cap=100_000)
    assessors = users("3", ASSESSORS, "Asesor Beban", caseload_cap=100_000)
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=v, role=Role.VOLUNTEER, region_id=villages[i // VOLUNTEERS_PER_VILLAGE].code)
            for i, v in enumerate(volunteers)
        ]
        + [
            RoleAssignment(user=s, role=role, facility=facilities[i % FACILITIES])
            for role, staff in ((Role.COUNSELOR, counselors), (Role.ASSESSOR, assessors))
            for i, s in enumerate(staff)
        ]
    )
    today = date.today()
    Certification.objects.bulk_create(
        Certification(
            user=s,
            kind=kind,
            number=f"{kind[:3].upper()}-LOAD-{i:05d}",
            issuer="BNN RI",
            issued_on=today - timedelta(days=365),
            expires_on=today + timedelta(days=365),
        )
        for kind, staff in ((CertificateKind.COUNSELOR, counselors), (CertificateKind.ASSESSOR, assessors))
        for i, s in enumerate(staff)
    )

    clients = Client.objects.bulk_create(
        Client(
            code=f"LOAD-2026-{i:06d}",
            name=f"Klien Beban {i}",
            name_normalized=f"klien beban {i}",
            sex="male" if i % 3 else "female",
            birth_year=1975 + i % 30,
            village_id=villages[i // (VOLUNTEERS_PER_VILLAGE * CLIENTS_PER_VOLUNTEER)].code,
            status="community_recovery",
            registered_by=volunteers[i // CLIENTS_PER_VOLUNTEER],
        )
        for i in range(len(volunteers) * CLIENTS_PER_VOLUNTEER)
    )
    Through = Client.assigned_volunteers.through
    Through.objects.bulk_create(
        Through(client_id=c.id, user_id=volunteers[i // CLIENTS_PER_VOLUNTEER].id)
        for i, c in enumerate(clients)
    )
    Consent.objects.bulk_create(
        Consent(client=c, scope=scope, given=True, given_by="client", recorded_by=c.registered_by)
        for c in clients
        for scope in ("data_collection", "referral")
    )
    now = timezone.now()
    Visit.objects.bulk_create(
        (
            Visit(
                id=uuid.uuid4(),
                client=c,
                logged_by=c.registered_by,
                occurred_at=now - timedelta(hours=rng.randint(1, 150 * 24)),
                type="home_visit",
                participants=["client"],
                outcome="stabil",
                notes="Kunjungan rutin; keluarga hadir dan mendukung pemulihan klien.",
            )
            for c in clients
            for _ in range(VISITS_PER_CLIENT)
        ),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    by_volunteer: dict[str, list[str]] = {}
    for i, c in enumerate(clients):
        by_volunteer.setdefault(volunteers[i // CLIENTS_PER_VOLUNTEER].phone, []).append(str(c.id))
    return {
        "password": PASSWORD,
        "volunteers": [{"phone": phone, "clients": ids} for phone, ids in by_volunteer.items()],
        "staff": [s.phone for s in counselors + assessors],
        "coordinators": [
            {"phone": cast.coordinator_katingan.phone, "area": "62.06"},
            {"phone": cast.coordinator_kalteng.phone, "area": "62"},
        ],
        "counts": {
            "villages": VILLAGES,
            "volunteers": len(volunteers),
            "staff": len(counselors) + len(assessors),
            "clients": len(clients),
            "visits": len(clients) * VISITS_PER_CLIENT,
        },
    }
