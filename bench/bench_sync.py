"""Benchmark of offline sync: `POST /sync/visits` (100 and 500 visits) and a first `GET /sync/changes` for a
volunteer with 200 clients and 5,000 visits, through the Django test Client against a real PostGIS database
(`bench_pulih_sync` on the embedded cluster, created on first use, kept afterwards).

Each measure is set beside a naive baseline run in the same process on the same data, because on a shared
2-core machine the ratio means more than the absolute times:
- upload: one `Visit.objects.create` + scope check + change-log row per item (the obvious ORM loop);
- first sync: clients in scope, then their visits and family members one client at a time (N+1).

and beside the floors issue 11 sets its targets against, measured in the same run:
- `COPY` of the same 500 rows into the visits table (rolled back): a 500-visit upload should take <= 3x it;
- `GET /me`: a resent batch (all duplicates) should take <= 1.5x it per 100 visits;
- the first sync's requests and bytes (raw, and on the wire with `Accept-Encoding: br, gzip`): <= 3 requests, < 0.5 MB;
- one snapshot page of visits at growing page sizes: time per item should stay flat (linear pages).

    .venv/bin/python bench/bench_sync.py [--runs 15] [--limit 5000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import brotli

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


_COPY_COLUMNS = (
    "id client_id logged_by_id occurred_at received_at type participants location location_accuracy_m "
    "outcome notes payload_hash version updated_at"
).split()


def copy_floor(user, items: list[dict]) -> None:  # type: ignore[no-untyped-def,type-arg]
    """The floor of an upload: COPY of the same rows into the visits table, rolled back."""
    from backend.recovery.models import Visit

    now = timezone.now().isoformat()
    table = connection.ops.quote_name(Visit._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
                for i in items:
                    copy.write_row(
                        (
                            i["id"],
                            i["client_id"],
                            str(user.id),
                            i["occurred_at"],
                            now,
                            i["type"],
                            json.dumps(i["participants"]),
                            f"SRID=4326;POINT({i['longitude']} {i['latitude']})",
                            i["location_accuracy_m"],
                            i["outcome"],
                            i["notes"],
                            "0" * 64,
                            1,
                            now,
                        )
                    )
        transaction.set_rollback(True)


def profile(label: str, fn) -> None:  # type: ignore[no-untyped-def]
    """cProfile of one call (cumulative and internal time), and its SQL statements with their times."""
    from django.test.utils import CaptureQueriesContext

    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    with CaptureQueriesContext(connection) as queries:
        fn()
    print(f"\n--- SQL of {label}: {len(queries)} statements ---")
    for q in queries.captured_queries:
        print(f"{float(q['time']) * 1000:8.1f} ms  {q['sql'][:150]}")
    print(f"\n--- profile: {label} (cumulative, top 25) ---")
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--limit", type=int, default=None, help="page size of the first sync (default: the max)"
    )
    parser.add_argument(
        "--encoding", default="br, gzip", help="the first sync's Accept-Encoding (default: br, gzip)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one upload and one first sync")
    args = parser.parse_args()
    setup_test_environment()
    print("preparing bench_pulih_sync (first run migrates: about a minute) ...", flush=True)
    connection.creation.create_test_db(keepdb=True, verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    cast, uploads = build_world()
    from api.routers.sync import ChangesQuery
    from backend.accounts.tokens import access_token_issue

    max_limit = next(m.le for m in ChangesQuery.model_fields["limit"].metadata if hasattr(m, "le"))
    limit = args.limit or max_limit

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
    copy500 = timed(lambda: copy_floor(uploader, batch_of(uploads, 500)), args.runs)
    rows.append(("floor: COPY of 500 visit rows (rolled back)", copy500, 500, None))
    me = timed(lambda: http.get("/api/v1/me", headers=auth(uploader)), args.runs)
    rows.append(("floor: GET /me", me, 1, None))
    if args.profile:
        profile(
            "POST /sync/visits, 500 new",
            lambda: http.post(
                "/api/v1/sync/visits",
                {"visits": batch_of(uploads, 500)},
                content_type="application/json",
                headers=auth(uploader),
            ),
        )
        profile(
            "POST /sync/visits, 500 resent",
            lambda: http.post(
                "/api/v1/sync/visits", same, content_type="application/json", headers=auth(uploader)
            ),
        )

    calls: list[tuple[int, int, int, int, int]] = []  # requests, items, raw bytes, on the wire, gzip -6
    coding: set[str] = set()

    def first_sync() -> None:
        cursor, n, pages, raw, wire, gz = None, 0, 0, 0, 0, 0
        while True:
            params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            response = http.get(
                "/api/v1/sync/changes", params, headers={**auth(reader), "Accept-Encoding": args.encoding}
            )
            content = response.content
            wire += len(content)
            coding.add(response.get("Content-Encoding", "none"))
            if response.get("Content-Encoding") == "gzip":
                content = gzip.decompress(content)
            elif response.get("Content-Encoding") == "br":
                content = brotli.decompress(content)
            raw += len(content)
            gz += len(gzip.compress(content, 6)) if len(calls) == 0 else 0
            body = json.loads(content)
            n, pages, cursor = n + len(body["items"]), pages + 1, body["next_cursor"]
            if not body["has_more"]:
                break
        assert n >= N_CLIENTS + N_VISITS, n
        calls.append((pages, n, raw, wire, gz))

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

    if args.profile:
        profile("first GET /sync/changes", first_sync)

    # One snapshot page of visits (the feed's heaviest phase) at growing page sizes, from the phase's start: linear
    # means a flat marginal cost per item; and a 500-visit page at the start of the phase against one at its end:
    # linear means the same time (a page must not cost what is left of the set).
    from backend.mobile.feed.cursor import Cursor
    from backend.mobile.feed.entities import ENTITIES
    from backend.mobile.feed.pages import _horizon
    from backend.mobile.sets import visits_in_set, window_start

    visit_phase = [e.name for e in ENTITIES].index("visit")

    def page_at(size: int, last: str = "") -> list[float]:
        def page() -> None:
            cur = Cursor("s", _horizon(), visit_phase, last, window_start=window_start(timezone.now()))
            response = http.get(
                "/api/v1/sync/changes", {"limit": size, "cursor": cur.encode()}, headers=auth(reader)
            )
            assert response.status_code == 200, response.content

        page()
        return timed(page, args.runs)

    page_rows = [(size, page_at(size)) for size in (250, 500, 1000, 2000, 4000) if size <= max_limit]
    ids = list(visits_in_set(reader, timezone.now()).order_by("id").values_list("id", flat=True))
    position = [
        ("start", page_at(500)),
        ("end", page_at(500, str(ids[-1001]))),
    ]  # 1,000 left: stays in the phase

    requests, items, raw, wire, _gz = calls[-1]
    gz = calls[0][4]
    print(
        f"\nruns: {args.runs} (naive baseline: {max(3, args.runs // 3)}); load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"first sync, limit={limit}: {requests} requests, {items} items, raw {raw / 1e6:.2f} MB, "
        f"on the wire {wire / 1e6:.2f} MB (Accept-Encoding: {args.encoding!r} -> {', '.join(sorted(coding))}; "
        f"gzip -6 of the raw pages: {gz / 1e6:.2f} MB)"
    )
    print(f"{'measure':<52} {'p50 ms':>8} {'p95 ms':>8} {'rows/s':>9} {'naive p50':>10} {'x faster':>9}")
    for name, times, n, naive in rows:
        p50 = statistics.median(times)
        line = f"{name:<52} {p50:>8.1f} {percentile(times, 95):>8.1f} {n / p50 * 1000:>9.0f}"
        if naive:
            np50 = statistics.median(naive)
            line += f" {np50:>10.1f} {np50 / p50:>9.1f}"
        print(line)
    p50 = {name: statistics.median(times) for name, times, _n, _naive in rows}
    print("\nvisit snapshot page at growing sizes (linear: the marginal us/item flat)")
    print(f"{'page size':>10} {'p50 ms':>8} {'p95 ms':>8} {'us/item':>8} {'marginal us/item':>17}")
    prev = None
    for size, times in page_rows:
        p = statistics.median(times)
        marginal = f"{(p - prev[1]) / (size - prev[0]) * 1000:>17.0f}" if prev else ""
        print(f"{size:>10} {p:>8.1f} {percentile(times, 95):>8.1f} {p / size * 1000:>8.0f} {marginal}")
        prev = (size, p)
    for where, times in position:
        print(f"  500 visits at the {where:<5} of the set: p50 {statistics.median(times):6.1f} ms")
    upload, resent = p50["POST /sync/visits, 500 new"], p50["POST /sync/visits, 500 resent"]
    copy, me_p50 = p50["floor: COPY of 500 visit rows (rolled back)"], p50["floor: GET /me"]
    print("\nratios (targets of issue 11)")
    print(f"  500-visit upload / COPY of the same rows      {upload / copy:6.1f}x   (target <= 3)")
    print(f"  resent 500 / (GET /me x 5), per 100 visits   {resent / (5 * me_p50):6.2f}x   (target <= 1.5)")
    print(f"  first sync requests                          {requests:6d}    (target <= 3)")
    print(f"  first sync on the wire                       {wire / 1e6:6.2f} MB (target < 0.5)")
    start, end = (statistics.median(t) for _w, t in position)
    print(f"  500-visit page at the set's start / at its end {start / end:6.2f}x   (linear: ~1)")


if __name__ == "__main__":
    main()
