"""Nothing Pulih stores or shows rebuilds a NIK (issue 10).

A NIK is the district of registration (6 digits), the birth date (DDMMYY, the day +40 for women) and a 4-digit
serial. A client's record holds the village, birth date and sex, so any field carrying the serial (the old
`nik_last4`) hands out the whole NIK: 20 of 20 were rebuilt from `GET /clients/{id}` as a volunteer. Here an
outsider tries again, with everything each API role is shown (detail, list, timeline, the sync feed) and with a
dump of every table, and must fail; the same attacker, given a record with the serial in it, succeeds (so the
test can fail)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.conf import settings

from backend.recovery.models import Client
from tests.privacy.helpers import database_text, feed_items, scalar_values
from tests.recovery.helpers import ALL_CONSENTS, fast_password_hashing, offer, register  # noqa: F401

pytestmark = pytest.mark.django_db

VILLAGE = "62.06.02.1003"  # Kasongan Baru: district 62.06.02
ROLES = (
    "volunteer_katingan",
    "official_katingan",
    "counselor_near",  # offered some cases (minimal view)
    "assessor_near",  # took some cases (full view)
    "facility_admin_kasongan",
    "coordinator_katingan",
    "coordinator_kalteng",
    "system_admin",
)


def nik_of(born: date, sex: str, serial: str) -> str:
    day = born.day + (40 if sex == "female" else 0)
    return f"620602{day:02d}{born:%m%y}{serial}"


@pytest.fixture
def enrolled(cast) -> dict[str, str]:
    """20 clients with a NIK each (serials 5000-9009: no year, version or code looks like them), half offered to
    counselor_near, a quarter taken by assessor_near. Client id -> NIK."""
    niks: dict[str, str] = {}
    for i in range(20):
        sex = "female" if i % 2 else "male"
        born = date(1980 + i, 1 + i % 12, 3 + i)
        nik = nik_of(born, sex, f"{5000 + i * 211:04d}")
        client = register(
            cast,
            name=f"Klien Nomor {i}",
            sex=sex,
            birth_date=born,
            birth_year=None,
            nik=nik,
            consents=ALL_CONSENTS,
        )
        if i % 2 == 0:
            offer(cast, client)
        elif i % 4 == 1:
            offer(cast, client, staff=cast.assessor_near, facility=cast.rsud_kasongan, accepted=True)
        niks[str(client.id)] = nik
    return niks


def seen_by(api, user, client_ids) -> dict[str, list[Any]]:
    """Everything `user` is shown of each client, by client id (text): the detail, the list row, the timeline,
    and the feed's items naming the client."""
    as_user = api.as_(user)
    seen: dict[str, list[Any]] = {str(cid): [] for cid in client_ids}
    for row in as_user.get("/clients", limit=100).json().get("items", []):
        seen[row["id"]].append(row)
    for cid in seen:
        detail = as_user.get(f"/clients/{cid}")
        if detail.status_code == 200:
            seen[cid].append(detail.json())
            timeline = as_user.get(f"/clients/{cid}/timeline")
            if timeline.status_code == 200:
                seen[cid].append(timeline.json())
    for item in feed_items(as_user):
        data = item.get("data") or {}
        cid = item["id"] if item["entity"] == "client" else str(data.get("client_id", ""))
        if cid in seen:
            seen[cid].append(data)
    return seen


def rebuilt_from_records(records: list[Any], nik: str) -> bool:
    """The outsider: the district from the village code, the birth date and sex from the record, and a serial
    from any field that looks like one (4 digits), or a whole NIK from a 16-digit field."""
    values = [str(v) for record in records for v in scalar_values(record) if v is not None]
    district = born = sex = None
    for record in records:
        if isinstance(record, dict):
            district = district or (record.get("village_code") or "").replace(".", "")[:6] or None
            born = born or record.get("birth_date")
            sex = sex or record.get("sex")
    candidates = {v for v in values if re.fullmatch(r"\d{16}", v)}
    if district and born and sex:
        born_on = date.fromisoformat(born)
        day = born_on.day + (40 if sex == "female" else 0)
        prefix = f"{district}{day:02d}{born_on:%m%y}"
        candidates |= {prefix + v for v in values if re.fullmatch(r"\d{4}", v)}
    return nik in candidates


def rebuilt_from_dump(dump: str, client: Client, nik: str) -> bool:
    """The outsider with a dump: the client's row gives the village, birth date and sex; any 4-digit value in
    the row is tried as the serial; any 16-digit number anywhere is tried as the NIK."""
    row = next(line for line in dump.splitlines() if line.startswith("recovery_client: (" + str(client.id)))
    day = client.birth_date.day + (40 if client.sex == "female" else 0)  # type: ignore[union-attr]
    prefix = f"{client.village_id.replace('.', '')[:6]}{day:02d}{client.birth_date:%m%y}"
    candidates = {prefix + s for s in re.findall(r"(?<![\w-])\d{4}(?![\w-])", row)}
    candidates |= set(re.findall(r"(?<!\d)\d{16}(?!\d)", dump))
    return nik in candidates


def test_no_api_role_is_shown_enough_to_rebuild_a_nik(api, cast, enrolled):
    tried = 0
    for role in ROLES:
        seen = seen_by(api, getattr(cast, role), enrolled)
        for cid, records in seen.items():
            if records:
                tried += 1
                assert not rebuilt_from_records(records, enrolled[cid]), f"{role} rebuilt a NIK"
    assert tried >= 20 * 5  # the volunteer, official, both coordinators and the admin see every client


def test_the_attacker_does_rebuild_a_nik_from_a_record_carrying_its_serial(api, cast, enrolled):
    cid, nik = next(iter(enrolled.items()))
    record = api.as_(cast.volunteer_katingan).get(f"/clients/{cid}").json()
    assert not rebuilt_from_records([record], nik)
    assert rebuilt_from_records([{**record, "nik_last4": nik[-4:]}], nik)


def test_a_database_dump_does_not_rebuild_a_nik_nor_hold_the_key(cast, enrolled):
    dump = database_text()
    assert settings.NIK_HMAC_KEY not in dump
    for client in Client.objects.filter(id__in=enrolled):
        nik = enrolled[str(client.id)]
        assert nik not in dump
        assert not rebuilt_from_dump(dump, client, nik)
    # the same attacker against a row that still held the serial (the dropped `nik_last4` column)
    client = Client.objects.get(id=next(iter(enrolled)))
    nik = enrolled[str(client.id)]
    line = next(line for line in dump.splitlines() if line.startswith("recovery_client: (" + str(client.id)))
    assert rebuilt_from_dump(line.replace(",", f",{nik[-4:]},", 1), client, nik)
