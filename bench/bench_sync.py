"""Benchmark of offline sync: `POST /sync/visits` (100 and 500 visits) and a first `GET /sync/changes` for a
volunteer with 200 clients and 5,000 visits, through the Django test Client against a real PostGIS database
(`bench_pulih_sync` on the embedded cluster, created on first use, kept afterwards).

Each measure is set beside a naive baseline run in the same process on the same data, because on a shared
2-core machine the ratio means more than the absolute times:
- upload: one `Visit.objects.create` + scope check + change-log row per item (the obvious ORM loop);
- first sync: clients in scope, then their visits and family members one client at a time (N+1).

    .venv/bin/python bench/bench_sync.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
os.environ["TEST_DATABASE_NAME"] = "bench_pulih_sync"
os.environ.setdefault("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "0")  # building the data on a busy machine

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

N_CLIENTS, N_VISITS = 200, 5000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def build_world():  # type: ignore[no-untyped-def]
    """The cast, 200 clients with 5,000 visits in Kasongan Baru, and 50 clients in Talian Kereng for uploads."""
    from backend.recovery.models import Client, Consent, Visit
    from tests.cast import build_cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("flush", interactive=False, verbosity=0)
    cast = build_cast()
    official = cast["official_katingan"]

    def clients(village: str, n: int, prefix: str) -> list:
        rows = [
            Client(
                code=f"{prefix}-2026-{i:05d}",
                name=f"Klien {prefix} {i}",
                name_normalized=f"klien {prefix.lower()} {i}",
                sex="male" if i % 2 else "female",
                birth_year=1980 + i % 25,
                village_id=village,
                status="community_recovery",
                registered_by=official,
            )
            for i in range(n)
        ]
        return Client.objects.bulk_create(rows)

    home = clients("62.06.02.1003", N_CLIENTS, "BEN")
    uploads = clients("62.06.02.2005", 50, "UPL")
    # A visit needs the client's data_collection consent in force.
    Consent.objects.bulk_create(
        Consent(client=c, scope="data_collection", given=True, given_by="client", recorded_by=official)
        for c in home + uploads
    )
    now = timezone.now()
    Visit.objects.bulk_create(
        [
            Visit(
                id=uuid.uuid4(),
                client=home[i % N_CLIENTS],
                logged_by=cast["volunteer_katingan"],
                occurred_at=now - timedelta(hours=7 * i % (150 * 24)),
                type="home_visit",
                participants=["client"],
                outcome="stabil",
                notes="Kunjungan rutin; keluarga hadir dan mendukung pemulihan klien.",
            )
            for i in range(N_VISITS)
        ],
        batch_size=1000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return cast, uploads


def batch_of(clients: list, n: int) -> list[dict]:  # type: ignore[type-arg]
    now = timezone.localtime()
    return [
        {
            "id": str(uuid.uuid4()),
            "client_id": str(clients[i % len(clients)].id),
            "occurred_at": (now - timedelta(minutes=i)).isoformat(),
            "type": "home_visit",
            "participants": ["client"],
            "latitude": -1.83695,
            "longitude": 113.40432,
            "location_accuracy_m": 10.0,
            "outcome": "stabil",
            "notes": "Klien di rumah.",
        }
        for i in range(n)
    ]


def naive_upload(user, items: list[dict]) -> None:  # type: ignore[no-untyped-def,type-arg]
    """The obvious loop: per item a scope check, a create and a change-log row."""
    from django.contrib.gis.geos import Point

    from backend.access.policy import client_qs_for
    from backend.recovery.models import Visit
    from backend.sync.changelog import change_record

    with transaction.atomic():
        for item in items:
            client = client_qs_for(user=user).filter(id=item["client_id"]).first()
            visit = Visit.objects.create(
                id=item["id"],
                client=client,
                logged_by=user,
                occurred_at=item["occurred_at"],
                type=item["type"],
                participants=item["participants"],
                location=Point(item["longitude"], item["latitude"], srid=4326),
                location_accuracy_m=item["location_accuracy_m"],
                outcome=item["outcome"],
                notes=item["notes"],
            )
            change_record(
                entity="visit", entity_id=visit.id, village_code=client.village_id, client_id=client.id
            )


def naive_first_sync(user) -> int:  # type: ignore[no-untyped-def]
    """Clients in scope, then each client's visits and family one query at a time, serialized the same way."""
    from backend.access.policy import client_qs_for
    from backend.recovery.models import FamilyMember, Visit
    from backend.recovery.visits.rules import visit_as_dict

    n = 0
    since = timezone.now() - timedelta(days=180)
    for client in client_qs_for(user=user).exclude(status__in=["recovered", "moved", "deceased"]):
        n += 1
        list(client.assigned_volunteers.all())
        for visit in Visit.objects.filter(client=client, occurred_at__gte=since):
            visit_as_dict(visit)
            n += 1
        n += len(list(FamilyMember.objects.filter(client_links__client=client)))
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    setup_test_environment()
    print("preparing bench_pulih_sync (first run migrates: about a minute) ...", flush=True)
    connection.creation.create_test_db(keepdb=True, verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    cast, uploads = build_world()
    from backend.accounts.tokens import access_token_issue

    def auth(user) -> dict:  # type: ignore[no-untyped-def,type-arg]
        return {"Authorization": f"Bearer {access_token_issue(user_id=user.id)[0]}"}

    http = HttpClient()
    uploader, reader = cast["volunteer_talian"], cast["volunteer_katingan"]
    rows: list[tuple[str, list[float], int, list[float] | None]] = []

    for size in (100, 500):

        def post(size: int = size) -> None:
            body = {"visits": batch_of(uploads, size)}
            response = http.post(
                "/api/v1/sync/visits", body, content_type="application/json", headers=auth(uploader)
            )
            assert response.status_code == 200 and response.json()["summary"]["created"] == size, (
                response.content
            )

        post()  # warm-up
        fast = timed(post, args.runs)
        slow = timed(
            lambda size=size: naive_upload(uploader, batch_of(uploads, size)), max(3, args.runs // 3)
        )
        rows.append((f"POST /sync/visits, {size} new", fast, size, slow))

    same = {"visits": batch_of(uploads, 500)}
    http.post("/api/v1/sync/visits", same, content_type="application/json", headers=auth(uploader))
    resend = timed(
        lambda: http.post(
            "/api/v1/sync/visits", same, content_type="application/json", headers=auth(uploader)
        ),
        args.runs,
    )
    rows.append(("POST /sync/visits, 500 resent", resend, 500, None))

    calls: list[int] = []

    def first_sync() -> None:
        cursor, n, pages = None, 0, 0
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            body = http.get("/api/v1/sync/changes", params, headers=auth(reader)).json()
            n, pages, cursor = n + len(body["items"]), pages + 1, body["next_cursor"]
            if not body["has_more"]:
                break
        assert n >= N_CLIENTS + N_VISITS, n
        calls.append(pages)

    first_sync()
    fast = timed(first_sync, args.runs)
    slow = timed(lambda: naive_first_sync(reader), max(3, args.runs // 3))
    rows.append(
        (
            f"first GET /sync/changes ({N_CLIENTS} clients, {N_VISITS} visits)",
            fast,
            N_CLIENTS + N_VISITS,
            slow,
        )
    )

    print(
        f"\nruns: {args.runs} (naive baseline: {max(3, args.runs // 3)}); first sync in {calls[-1]} calls of limit=1000"
    )
    print(f"{'measure':<52} {'p50 ms':>8} {'p95 ms':>8} {'rows/s':>9} {'naive p50':>10} {'x faster':>9}")
    for name, times, n, naive in rows:
        p50 = statistics.median(times)
        line = f"{name:<52} {p50:>8.1f} {percentile(times, 95):>8.1f} {n / p50 * 1000:>9.0f}"
        if naive:
            np50 = statistics.median(naive)
            line += f" {np50:>10.1f} {np50 / p50:>9.1f}"
        print(line)


if __name__ == "__main__":
    main()
