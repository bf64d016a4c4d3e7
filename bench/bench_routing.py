"""Escalation routing over a synthetic national set: 10,000 facilities and 50,000 certified staff spread over
Indonesia's bounding box, in a database of its own (`bench_pulih` on the embedded cluster).

Measures, over random origins (village centroids), p50/p95 of:
- the KNN query alone (`routing.facilities_near`: facilities with an eligible person, nearest first, GiST);
- the whole routing decision (`routing.route`: the KNN rounds, staff facts, caseloads, the explanation);
- the whole `POST /escalations` through Django's test client (auth, scope, consent, routing, offer, inbox row);
side by side with naive baselines run in the same process on the same data:
- "naive DB + haversine": fetch every eligible staff member's facility point, haversine in Python, sort;
- "haversine in memory": the same distance loop over a list already in memory (the compute alone).
Also a hard case: a city where 300 facilities and 2,000 staff are all ineligible (expired or on leave), so the
KNN has to walk past them. Prints a table and the EXPLAIN ANALYZE of the KNN query.

    .venv/bin/python bench/bench_routing.py            # reuses the loaded data when it is there
    .venv/bin/python bench/bench_routing.py --rebuild  # drop and load again

Not a test: nothing asserts a timing (the machine is shared; compare the ratios).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
os.environ["CELERY_BROKER_URL"] = (
    "memory://"  # pushes published after commit go nowhere, never to shared Redis
)
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Loading the data holds a transaction while Python builds rows: on a busy machine that passes the server's
# idle-in-transaction limit (60 s by default), which a bench does not need.
os.environ.setdefault("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "0")

import benchdb  # noqa: E402  (bench/: the bench's own database)

BENCH_DB = "bench_pulih"
N_FACILITIES, N_STAFF, N_VILLAGES = 10_000, 50_000, 2_000
CLUSTER = (106.85, -6.20)  # Jakarta: the hard case, every person there ineligible
CLUSTER_FACILITIES, CLUSTER_STAFF = 300, 2_000
LON, LAT = (95.0, 141.0), (-11.0, 6.0)
SEED = 20261123


def use_bench_database(rebuild: bool) -> None:
    """Point Django at this bench's own database (benchdb.py) before any connection is opened."""
    benchdb.use_bench_database(BENCH_DB, rebuild=rebuild)


def zone_for(lon: float) -> str:
    return "Asia/Jakarta" if lon < 114.5 else ("Asia/Makassar" if lon < 127.0 else "Asia/Jayapura")


def load(rng: random.Random) -> None:
    """Regions, facilities, staff with role assignments and certificates, an admin and clients with consent."""
    from django.contrib.gis.geos import Point
    from django.db import connection, transaction

    from backend.accounts.models import Certification, RoleAssignment, User
    from backend.recovery.models import Client
    from villages.models import Facility, Region

    t0 = time.perf_counter()
    today = date.today()

    def point_near(lon: float, lat: float, km: float) -> Point:
        return Point(lon + rng.uniform(-km, km) / 111.0, lat + rng.uniform(-km, km) / 111.0, srid=4326)

    with transaction.atomic():
        Region.objects.bulk_create(
            [
                Region(code="99", level="province", name="Provinsi Bench", point=Point(118, -2, srid=4326)),
                Region(code="99.01", level="regency", name="Kabupaten Bench", parent_id="99"),
                Region(code="99.01.01", level="district", name="Kecamatan Bench", parent_id="99.01"),
            ]
        )
        villages = []
        for i in range(N_VILLAGES):
            lon, lat = rng.uniform(*LON), rng.uniform(*LAT)
            villages.append(
                Region(
                    code=f"99.01.01.{i + 1000:04d}",
                    level="village",
                    name=f"Desa {i}",
                    parent_id="99.01.01",
                    timezone=zone_for(lon),
                    point=Point(lon, lat, srid=4326),
                )
            )
        Region.objects.bulk_create(villages, batch_size=2000)
        facilities = []
        for i in range(N_FACILITIES):
            location = (
                point_near(*CLUSTER, 25)
                if i < CLUSTER_FACILITIES
                else Point(rng.uniform(*LON), rng.uniform(*LAT), srid=4326)
            )
            facilities.append(
                Facility(
                    code=f"B-{i:05d}",
                    name=f"Puskesmas Bench {i}",
                    type="puskesmas",
                    village_id=villages[i % N_VILLAGES].code,
                    location=location,
                )
            )
        Facility.objects.bulk_create(facilities, batch_size=2000)
        print(f"  regions and facilities: {time.perf_counter() - t0:.1f}s", flush=True)

        users, roles, certs = [], [], []
        for i in range(N_STAFF):
            in_cluster = i < CLUSTER_STAFF
            facility = (
                facilities[rng.randrange(CLUSTER_FACILITIES)]
                if in_cluster
                else facilities[rng.randrange(CLUSTER_FACILITIES, N_FACILITIES)]
            )
            roll = rng.random()
            kinds = (
                ["counselor"] if roll < 0.55 else (["assessor"] if roll < 0.9 else ["counselor", "assessor"])
            )
            state = rng.random()
            if in_cluster:
                state = 0.85 if state < 0.5 else 0.93  # expired or on leave: nobody eligible in the city
            user = User(
                id=uuid.uuid4(),
                phone=f"+628{i:010d}",
                name=f"Petugas {i}",
                password="!",
                is_active=state < 0.96,
                on_leave_from=today - timedelta(days=3) if 0.90 <= state < 0.96 else None,
                on_leave_until=today + timedelta(days=10) if 0.90 <= state < 0.96 else None,
            )
            users.append(user)
            roles.append(RoleAssignment(user_id=user.id, role=kinds[0], facility_id=facility.id))
            expired = 0.82 <= state < 0.90
            for kind in kinds:
                certs.append(
                    Certification(
                        user_id=user.id,
                        kind=kind,
                        number=f"{kind[:3]}-{i}",
                        issuer="BNN RI",
                        issued_on=today - timedelta(days=800),
                        expires_on=today - timedelta(days=30) if expired else today + timedelta(days=400),
                    )
                )
        User.objects.bulk_create(users, batch_size=5000)
        RoleAssignment.objects.bulk_create(roles, batch_size=5000)
        Certification.objects.bulk_create(certs, batch_size=5000)
        print(f"  staff, roles, certificates: {time.perf_counter() - t0:.1f}s", flush=True)

        admin = User.objects.create_user("+6281999999999", None, name="Admin Bench")
        RoleAssignment.objects.create(user=admin, role="system_admin")
        clients = [
            Client(
                code=f"BEN-2026-{i:05d}",
                name=f"Klien {i}",
                name_normalized=f"klien {i}",
                sex="male",
                birth_year=1990,
                village_id=villages[rng.randrange(N_VILLAGES)].code,
                registered_by=admin,
                status="screened",
            )
            for i in range(600)
        ]
        Client.objects.bulk_create(clients)
        consents_ensure(clients, admin)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  loaded in {time.perf_counter() - t0:.1f}s", flush=True)


def consents_ensure(clients, admin) -> None:  # type: ignore[no-untyped-def]
    """Data collection and referral consent for every bench client (an escalation needs both)."""
    from backend.recovery.models import Consent

    have = set(Consent.objects.filter(given=True).values_list("client_id", "scope"))
    Consent.objects.bulk_create(
        [
            Consent(client=c, scope=scope, given=True, given_by="client", recorded_by=admin)
            for c in clients
            for scope in ("data_collection", "referral")
            if (c.id, scope) not in have
        ]
    )


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="drop bench_pulih and load it again")
    parser.add_argument("--runs", type=int, default=200, help="origins per measure (default 200)")
    args = parser.parse_args()

    import django

    django.setup()
    use_bench_database(args.rebuild)
    from django.core.management import call_command
    from django.test import Client as HttpClient

    from backend.accounts.models import RoleAssignment, User
    from backend.accounts.tokens import access_token_issue
    from backend.escalations import routing
    from backend.escalations.caseloads import caseloads
    from backend.recovery.models import Client
    from villages.models import Facility, Region

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Facility.objects.count() != N_FACILITIES:
        print("loading the synthetic national set ...", flush=True)
        load(random.Random(SEED))
    from backend.escalations.models import Escalation, Offer

    Offer.objects.all().delete()
    Escalation.objects.all().delete()  # each run starts with empty caseloads
    # A database loaded by an earlier version of this script may lack the consents escalations now need.
    consents_ensure(list(Client.objects.all()), User.objects.get(phone="+6281999999999"))

    rng = random.Random(SEED + 1)
    points = [v.point for v in Region.objects.filter(level="village").only("point")]
    origins = [rng.choice(points) for _ in range(args.runs)]
    from django.contrib.gis.geos import Point

    cluster_origins = [Point(CLUSTER[0] + rng.uniform(-0.05, 0.05), CLUSTER[1], srid=4326) for _ in range(50)]
    day, radius = date.today(), 250
    need_of = lambda i: "counseling" if i % 2 == 0 else "assessment"  # noqa: E731

    results: dict[str, list[float]] = {}
    results["KNN query (facilities_near, k=8)"] = timed(
        lambda i: routing.facilities_near(origin=origins[i], need=need_of(i), day=day, limit=8),
        args.runs,
    )
    results["routing decision (route)"] = timed(
        lambda i: routing.route(
            origin=origins[i], need=need_of(i), day=day, radius_km=radius, declined=set()
        ),
        args.runs,
    )
    results["route, all 2,000 nearby staff ineligible"] = timed(
        lambda i: routing.route(
            origin=cluster_origins[i % 50], need=need_of(i), day=day, radius_km=radius, declined=set()
        ),
        50,
    )

    def naive_db(i: int) -> None:
        rows = RoleAssignment.objects.filter(routing.eligible_staff_q(need=need_of(i), day=day)).values_list(
            "user_id", "facility__location"
        )
        ox, oy = origins[i % len(origins)].x, origins[i % len(origins)].y
        ranked = sorted((d, uid) for uid, loc in rows if (d := haversine_km(ox, oy, loc.x, loc.y)) <= radius)
        caseloads(user_ids=[uid for _, uid in ranked[:10]])

    naive_runs = max(10, args.runs // 10)
    results["naive: fetch eligible + Python haversine"] = timed(naive_db, naive_runs)
    memory = [
        (uid, loc.x, loc.y)
        for uid, loc in RoleAssignment.objects.filter(
            routing.eligible_staff_q(need="counseling", day=day)
        ).values_list("user_id", "facility__location")
    ]

    def naive_memory(i: int) -> None:
        ox, oy = origins[i % len(origins)].x, origins[i % len(origins)].y
        sorted((d, uid) for uid, lon, lat in memory if (d := haversine_km(ox, oy, lon, lat)) <= radius)

    results["naive: haversine over a list in memory"] = timed(naive_memory, naive_runs)

    admin = User.objects.get(phone="+6281999999999")
    token = access_token_issue(user_id=admin.id)[0]
    http = HttpClient()
    clients = list(Client.objects.order_by("code").values_list("id", flat=True)[: args.runs])
    statuses: dict[int, int] = {}

    def post(i: int) -> None:
        body = {"client_id": str(clients[i]), "need": need_of(i), "urgency": "routine", "reason": "Bench"}
        r = http.post(
            "/api/v1/escalations",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    def me(i: int) -> None:
        r = http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    # The floor of a request in the same run: auth, one small read, the response (issue 11: POST <= 3x GET /me).
    # Interleaved one for one, so both see the same load on a shared machine.
    me(0)
    posts, reads = [], []
    for i in range(len(clients)):
        posts += timed(lambda _i, i=i: post(i), 1)
        reads += timed(me, 1)
    results["POST /escalations (whole request)"] = posts
    results["GET /me (floor of a request)"] = reads
    offered = Escalation.objects.filter(status="offered").count()
    with_coordinator = Escalation.objects.filter(status="with_coordinator").count()

    baseline = statistics.median(results["naive: fetch eligible + Python haversine"])
    print(
        f"\nSynthetic national set: {N_FACILITIES:,} facilities, {N_STAFF:,} certified staff, radius {radius} km"
    )
    print(f"{'measure':<46} {'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'naive/this':>11}")
    for name, values in results.items():
        p50 = statistics.median(values)
        print(f"{name:<46} {len(values):>5} {p50:>9.2f} {pct(values, 0.95):>9.2f} {baseline / p50:>10.1f}x")
    post_p50 = statistics.median(results["POST /escalations (whole request)"])
    me_p50 = statistics.median(results["GET /me (floor of a request)"])
    print(f"POST /escalations / GET /me (p50): {post_p50 / me_p50:.1f}x (target <= 3x)")
    print(f"POST statuses: {statuses}; offered {offered}, to coordinator {with_coordinator}")
    if set(statuses) != {200, 201}:
        # A timing of refused requests measures nothing: say so loudly rather than print a fast number.
        print("ERROR: POST /escalations (201) or GET /me (200) failed; the timings above are not valid.")
        raise SystemExit(1)

    from django.db import connection

    captured: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        captured.append((sql, params))
        return execute(sql, params, many, context)

    for label, origin in (("random village", origins[0]), ("ineligible city", cluster_origins[0])):
        with connection.execute_wrapper(capture):
            routing.facilities_near(origin=origin, need="counseling", day=day, limit=8)
        sql, params = next((s, p) for s, p in reversed(captured) if "villages_facility" in s)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"\nEXPLAIN ANALYZE of the KNN query ({label}):")
        for line in plan:
            if any(
                k in line for k in ("Limit", "Index Scan using", "Order By", "Rows Removed", "Execution Time")
            ):
                print("  " + line.strip()[:140])
    print(f"\ntotal {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
