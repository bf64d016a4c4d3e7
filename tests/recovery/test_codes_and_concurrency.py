"""Client codes (abbreviation, counter) and registrations racing each other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from backend.common.errors import Conflict
from backend.recovery.codes import regency_abbreviation
from backend.recovery.models import Client
from tests.recovery.helpers import fast_password_hashing, register  # noqa: F401
from villages.models import Region


@pytest.mark.parametrize(
    "code,name,abbr",
    [
        ("62.06", "Kabupaten Katingan", "KTG"),
        ("52.71", "Kota Mataram", "MTR"),
        ("99.01", "Kabupaten Gunung Mas", "GNM"),
        ("99.02", "Kota Palangka Raya", "PLR"),
        ("99.03", "Kabupaten Kepulauan Seribu Utara", "KSU"),
        ("99.04", "Kabupaten Aceh", "ACH"),
        ("99.05", "Kota Bau-Bau", "BBX"),
    ],
)
def test_a_regency_gets_its_known_or_a_derived_three_letter_abbreviation(code, name, abbr):
    result = regency_abbreviation(Region(code=code, name=name))
    assert result == abbr
    assert len(result) == 3 and result.isupper()


def _race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in n threads started together; each its own connection. Results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_share_a_code_and_a_duplicate_wins_once(cast):
    codes = _race(6, lambda i: register(cast, name=f"Klien {i}").code)
    assert all(isinstance(c, str) for c in codes), codes
    assert len(set(codes)) == 6

    same = _race(4, lambda i: register(cast, name="Orang Sama", nik="6206020501900001"))
    created = [r for r in same if isinstance(r, Client)]
    refused = [r for r in same if isinstance(r, Conflict)]
    assert len(created) == 1, same
    assert len(refused) == 3
    assert {r.code for r in refused} == {"duplicate_client"}

    same_name = _race(4, lambda i: register(cast, name="Nama Kembar", birth_year=1980))
    assert sum(isinstance(r, Client) for r in same_name) == 1, same_name
    assert Client.objects.filter(name_normalized="nama kembar").count() == 1


@pytest.mark.django_db
def test_the_codes_year_is_the_year_in_the_villages_own_time_zone(cast, time_machine):
    time_machine.move_to("2026-12-31T16:30:00+00:00", tick=False)  # 23:30 WIB, 00:30 WITA next day
    katingan = register(cast, name="Malam Tahun Baru")
    mataram = register(cast, actor=cast.volunteer_mataram, village="52.71.01.1004", name="Tahun Baru")
    assert katingan.code.startswith("KTG-2026-")
    assert mataram.code.startswith("MTR-2027-")


@pytest.mark.django_db(transaction=True)
def test_two_edits_of_the_same_version_at_once_one_wins_and_the_other_is_stale(cast):
    from backend.recovery.services import client_update

    client = register(cast)
    results = _race(
        4,
        lambda i: client_update(
            actor=cast.official_katingan, client_id=client.id, version=1, changes={"notes": f"catatan {i}"}
        ),
    )
    won = [r for r in results if isinstance(r, Client)]
    stale = [r for r in results if isinstance(r, Conflict) and r.code == "stale_version"]
    assert (len(won), len(stale)) == (1, 3), results
    client.refresh_from_db()
    assert client.version == 2
    assert client.notes == won[0].notes


@pytest.mark.django_db(transaction=True)
def test_the_same_screening_sent_twice_at_once_is_stored_once(cast):
    import uuid

    from backend.recovery.assist import SUBSTANCES
    from backend.recovery.models import Screening
    from backend.recovery.screenings import screening_record

    client = register(cast, consents=[{"scope": "data_collection", "given": True}])
    answers = {s: {"q1": False} for s in SUBSTANCES}
    answers["alcohol"] = {"q1": True, "q2": 2, "q3": 0, "q4": 0, "q5": 0, "q6": 0, "q7": 0}
    sid = uuid.uuid4()
    results = _race(
        3,
        lambda i: screening_record(
            actor=cast.volunteer_katingan, client=client, screening_id=sid, answers=answers, q8=0
        ),
    )
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(created for _, created in results) == [False, False, True]
    assert Screening.objects.count() == 1
    assert client.status_changes.count() == 1
