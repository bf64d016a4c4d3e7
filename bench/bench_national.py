"""Benchmark of the hot paths on the national synthetic set (issue 11), each against its floor measured in the
same run, in the database `manage.py build_national_dataset --into bench_pulih_national` built (not rebuilt
here: build it first, ~30 minutes at full scale).

For each path, p50/p95/p99 over --runs runs, the floor's p50/p95/p99 and the ratio of the p50s:
- routing KNN (`routing.facilities_near`, k=8) vs its own SQL statement, prepared server-side, with a generic plan
  (psycopg's server-binding cursor, `prepare=True`, `plan_cache_mode = force_generic_plan`): what the query costs
  without Python;
- the whole `routing.route()` vs every SQL statement it ran for that origin, replayed the same way;
- `POST /escalations` (the whole request, in-process) vs `GET /me`, alternating in one loop;
- `POST /sync/visits` with 500 new visits vs COPY of the same 500 rows (under new ids, alternating); a resent
  batch per 100 visits vs `GET /me`;
- the first `GET /sync/changes` (limit=1000, every page) of the volunteer whose set is nearest 200 clients:
  requests, bytes raw and gzip (level 6), time;
- `GET /reports/monthly` for the province with the most clients and its largest regency (last month);
- the daily follow-up sweep over the province of the report (`followup_sweep_area` for each of its regencies);
- the routing answer checked against a brute-force geodesic ranking (pyproj's WGS 84 `Geod.inv` from the origin
  to every facility with an eligible person with room) for --check villages: the agreement count.
Every write (escalations, uploads, access-log rows of the feed, the sweep's states and tasks) runs inside a
transaction rolled back after each run, so runs start from the same set and the set stays as built.

    .venv/bin/python bench/bench_national.py                    # bench_pulih_national
    .venv/bin/python bench/bench_national.py --db bench_pulih_small --runs 20 --check 200

Writes bench/bench_national.json (every sample's summary) beside this script. Not a test: nothing asserts a
timing (the machine is shared; compare the ratios).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
os.environ["CELERY_BROKER_URL"] = "memory://"  # pushes go nowhere (and every write is rolled back anyway)
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "0")  # the sweep of a province runs longer than 30 s
os.environ.setdefault("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "0")

import benchdb  # noqa: E402  (bench/: the bench's own database)

# The measures, in the order of the issue's table (--only picks some).
MEASURES = ("knn", "route", "escalations", "upload", "sync", "report", "sweep", "check")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p95": pct(values, 0.95),
        "p99": pct(values, 0.99),
    }


def timed(fn: Callable[[int], Any], runs: int, *, rolled_back: bool = False) -> list[float]:
    """ms per call of fn(i) for i in range(runs), after one warm-up call; each inside a rolled-back transaction
    when `rolled_back`."""
    from django.db import transaction

    def once(i: int) -> float:
        if not rolled_back:
            start = time.perf_counter()
            fn(i)
            return (time.perf_counter() - start) * 1000
        with transaction.atomic():
            start = time.perf_counter()
            fn(i)
            elapsed = (time.perf_counter() - start) * 1000
            transaction.set_rollback(True)
        return elapsed

    once(0)
    return [once(i) for i in range(runs)]


class Capture:
    """The SQL statements (with their parameters) run inside `with connection.execute_wrapper(capture)`."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


def replay(statements: list[tuple[str, Any]]) -> None:
    """Run the statements again, each as a prepared statement with its plan cached: an `EXECUTE` of a statement
    the app PREPAREd (backend/common/prepared.py) as it is, on the raw psycopg cursor (the PREPARE itself is not
    run again); any other through psycopg's server-binding cursor with `prepare=True` (Django's own cursor binds
    on the client and never prepares, whatever it is asked)."""
    import psycopg
    from django.db import connection

    with connection.cursor() as django_cursor:
        raw = connection.connection
        threshold = raw.prepare_threshold
        if threshold is None:  # Django opens connections with None: psycopg would prepare nothing
            raw.prepare_threshold = 5
        try:
            with psycopg.Cursor(raw) as cursor:
                for sql, params in statements:
                    if sql.startswith("PREPARE "):  # once per connection, done already
                        continue
                    run = django_cursor.cursor if sql.startswith("EXECUTE ") else cursor
                    if run is cursor:
                        cursor.execute(sql, params, prepare=True)
                    else:
                        run.execute(sql, params)
                    if run.description is not None:
                        run.fetchall()
        finally:
            raw.prepare_threshold = threshold


def generic_plans(on: bool) -> None:
    """`plan_cache_mode = force_generic_plan` for the floors: a prepared statement's first five runs would
    otherwise be planned each time (custom plans) before PostgreSQL settles on the generic one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET plan_cache_mode = {'force_generic_plan' if on else 'auto'}")


def timed_pair(
    fn: Callable[[int], Any],
    floor: Callable[[int], Any],
    runs: int,
    *,
    rolled_back: bool = False,
    floor_rolled_back: bool = False,
) -> tuple[list[float], list[float]]:
    """`timed` of fn and floor alternating in one loop (fn(i), then floor(i)): both meet the same load. Each in a
    rolled-back transaction when `rolled_back` / `floor_rolled_back` (a floor that writes, like COPY)."""
    from django.db import transaction

    def once(f: Callable[[int], Any], i: int, rollback: bool) -> float:
        if not rollback:
            start = time.perf_counter()
            f(i)
            return (time.perf_counter() - start) * 1000
        with transaction.atomic():
            start = time.perf_counter()
            f(i)
            elapsed = (time.perf_counter() - start) * 1000
            transaction.set_rollback(True)
        return elapsed

    once(fn, 0, rolled_back), once(floor, 0, floor_rolled_back)
    measured, floors = [], []
    for i in range(runs):
        measured.append(once(fn, i, rolled_back))
        floors.append(once(floor, i, floor_rolled_back))
    return measured, floors


def main() -> None:  # noqa: C901 (one measure after another, in the order of the issue's table)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench_pulih_national")
    parser.add_argument("--runs", type=int, default=50, help="runs per fast measure (default 50)")
    parser.add_argument(
        "--slow-runs", type=int, default=5, help="runs of the report, sync and sweep (default 5)"
    )
    parser.add_argument(
        "--check", type=int, default=1000, help="villages in the geodesic check (default 1000)"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated measures among {','.join(MEASURES)} (default: all); the JSON then goes to "
        "bench_national.<measures>.json",
    )
    parser.add_argument(
        "--json", help="where to write the JSON (default: bench/bench_national[.<measures>].json)"
    )
    args = parser.parse_args()
    chosen = [m for m in args.only.split(",") if m] or list(MEASURES)
    if unknown := set(chosen) - set(MEASURES):
        parser.error(f"unknown measure(s): {', '.join(sorted(unknown))}")

    def want(measure: str) -> bool:
        return measure in chosen

    import django

    django.setup()
    benchdb.use_bench_database(args.db, rebuild=False)
    from django.conf import settings
    from django.db import connection
    from django.test import Client as HttpClient

    settings.ALLOWED_HOSTS = ["*"]
    from backend.accounts.tokens import access_token_issue
    from backend.escalations import routing
    from backend.recovery.models import Client, Visit

    started = time.perf_counter()
    rng = random.Random(args.seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM datasets_buildphase WHERE name = 'analyze'")
        if not cursor.fetchone()[0]:
            raise SystemExit(
                f"{args.db} is not a finished national set: run manage.py build_national_dataset"
            )
        cursor.execute("SELECT scale, provinces FROM datasets_buildphase WHERE name = 'analyze'")
        scale, provinces = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = cursor.fetchone()[0]
    counts = {"clients": Client.objects.count(), "visits": Visit.objects.count()}
    print(
        f"{args.db}: scale {scale}, provinces '{provinces or 'all'}', {counts['clients']:,} clients, "
        f"{counts['visits']:,} visits, {db_size}; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    rows: list[dict[str, Any]] = []

    def row(
        path: str, measured: list[float], floor_name: str, floor: list[float] | None, **extra: Any
    ) -> None:
        entry = {"path": path, "measure": summary(measured), "floor_name": floor_name, **extra}
        if floor:
            entry["floor"] = summary(floor)
            entry["ratio"] = entry["measure"]["p50"] / entry["floor"]["p50"]
        rows.append(entry)
        ratio = f"{entry['ratio']:.1f}x" if floor else "-"
        floor_text = f"{entry['floor']['p50']:.2f}/{entry['floor']['p95']:.2f}" if floor else "-"
        m = entry["measure"]
        print(
            f"{path:<44} {m['p50']:>8.2f} {m['p95']:>8.2f} {m['p99']:>8.2f}   {floor_name:<30} {floor_text:>15} {ratio:>7}",
            flush=True,
        )

    print(
        f"\n{'path (ms)':<44} {'p50':>8} {'p95':>8} {'p99':>8}   {'floor':<30} {'p50/p95':>15} {'ratio':>7}"
    )
    day = date.today()
    radius = settings.ROUTING_DEFAULT_MAX_RADIUS_KM
    from django.contrib.gis.geos import Point

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(point::geometry), ST_Y(point::geometry) FROM villages_region "
            "WHERE level = 'village' AND point IS NOT NULL ORDER BY code"
        )
        village_points = cursor.fetchall()
    origins = [Point(*rng.choice(village_points), srid=4326) for _ in range(max(args.runs, args.check))]
    need_of = lambda i: "counseling" if i % 2 == 0 else "assessment"  # noqa: E731

    if want("knn"):
        # 1. The KNN, and its own statement prepared with a generic plan, alternating in one loop (the session's
        # plan_cache_mode applies to prepared statements only: the app's own are generic either way).
        knn_sql: list[list[tuple[str, Any]]] = []
        for i in range(args.runs):
            capture = Capture()
            with connection.execute_wrapper(capture):
                routing.facilities_near(origin=origins[i], need=need_of(i), day=day, limit=8)
            knn_sql.append(capture.statements)
        generic_plans(True)
        knn, knn_floor = timed_pair(
            lambda i: routing.facilities_near(origin=origins[i], need=need_of(i), day=day, limit=8),
            lambda i: replay(knn_sql[i]),
            args.runs,
        )
        generic_plans(False)
        row(
            "routing KNN (facilities_near, k=8)",
            knn,
            "its SQL, prepared, generic plan",
            knn_floor,
            statements=len(knn_sql[0]),
        )

    if want("route"):
        # 2. The whole decision, and every statement it ran, replayed.
        def decide(i: int) -> Any:
            return routing.route(
                origin=origins[i], need=need_of(i), day=day, radius_km=radius, declined=set()
            )

        route_sql: list[list[tuple[str, Any]]] = []
        for i in range(args.runs):
            capture = Capture()
            with connection.execute_wrapper(capture):
                decide(i)
            route_sql.append(capture.statements)
        generic_plans(True)
        whole, route_floor = timed_pair(decide, lambda i: replay(route_sql[i]), args.runs)
        generic_plans(False)
        row(
            "route() whole decision",
            whole,
            "its statements, prepared, generic",
            route_floor,
            statements=statistics.median(len(s) for s in route_sql),
        )

    # 3. POST /escalations vs GET /me, as the registering volunteer of clients with referral consent.
    http = HttpClient()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id::text, c.registered_by_id FROM recovery_client c WHERE c.status = 'community_recovery' "
            "AND c.consent_withdrawn_at IS NULL AND EXISTS (SELECT 1 FROM recovery_consent k WHERE k.client_id = c.id "
            "AND k.scope = 'referral' AND k.given) AND NOT EXISTS (SELECT 1 FROM escalations_escalation e "
            "WHERE e.client_id = c.id) ORDER BY c.code LIMIT %s",
            [args.runs + 1],
        )
        candidates = cursor.fetchall()
    tokens: dict[Any, str] = {}

    def auth(user_id: Any) -> dict[str, str]:
        if user_id not in tokens:
            tokens[user_id] = access_token_issue(user_id=user_id)[0]
        return {"Authorization": f"Bearer {tokens[user_id]}"}

    if want("escalations"):
        statuses: dict[int, int] = {}

        def escalate(i: int) -> None:
            client, volunteer = candidates[i % len(candidates)]
            body = {"client_id": client, "need": need_of(i), "urgency": "routine", "reason": "Bench"}
            r = http.post(
                "/api/v1/escalations", body, content_type="application/json", headers=auth(volunteer)
            )
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        posts, me = timed_pair(
            escalate,
            lambda i: http.get("/api/v1/me", headers=auth(candidates[i % len(candidates)][1])),
            args.runs,
            rolled_back=True,
        )
        row("POST /escalations", posts, "GET /me", me, statuses=statuses)
        if set(statuses) != {201}:
            print(f"  WARNING: POST /escalations answered {statuses}: its timing is not of the whole path")

    # 4. 500 new visits uploaded vs COPY of the same rows; a resent batch vs GET /me per 100 visits.
    uploader, village, set_clients = busiest_volunteer(target=200)
    if want("upload"):
        mine = list(
            Client.objects.filter(village_id=village, consent_withdrawn_at__isnull=True).values_list(
                "id", flat=True
            )
        )
        lon, lat = (
            Client.objects.filter(village_id=village).values_list("village__point", flat=True)[0].coords
        )

        def batch() -> list[dict[str, Any]]:
            now = time.time()
            return [
                {
                    "id": str(uuid.uuid4()),
                    "client_id": str(mine[i % len(mine)]),
                    "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 60 * i)),
                    "type": "home_visit",
                    "participants": ["client"],
                    "latitude": lat,
                    "longitude": lon,
                    "location_accuracy_m": 10.0,
                    "outcome": "stabil",
                    "notes": "Klien di rumah.",
                }
                for i in range(500)
            ]

        batches: list[list[dict[str, Any]]] = [batch() for _ in range(args.runs + 1)]
        created: dict[int, int] = {}

        def upload(i: int) -> None:
            r = http.post(
                "/api/v1/sync/visits",
                {"visits": batches[i]},
                content_type="application/json",
                headers=auth(uploader),
            )
            n = r.json().get("summary", {}).get("created", -1) if r.status_code == 200 else -r.status_code
            created[n] = created.get(n, 0) + 1

        # COPY the same rows under fresh ids, alternating with the uploads (both rolled back): with the upload's
        # own ids, COPY could find the primary key's pages the upload had just read from disk (a 10-million-row
        # index, random UUIDs). On a quiet machine with the index cached it made little difference (RESULTS.md).
        def copy_same(i: int) -> None:
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(
                    "COPY recovery_visit (id, client_id, logged_by_id, occurred_at, received_at, type, participants, location, "
                    "location_accuracy_m, outcome, notes, payload_hash, version, updated_at) FROM STDIN"
                ) as copy,
            ):
                for v in batches[i]:
                    copy.write(
                        f'{uuid.uuid4()}\t{v["client_id"]}\t{uploader}\t{v["occurred_at"]}\tnow\thome_visit\t["client"]\t'
                        f"SRID=4326;POINT({lon} {lat})\t10\tstabil\tKlien di rumah.\t{'0' * 64}\t1\tnow\n"
                    )

        uploads, copies = timed_pair(upload, copy_same, args.runs, rolled_back=True, floor_rolled_back=True)
        row("POST /sync/visits, 500 new", uploads, "COPY of the same rows, new ids", copies, created=created)

        resend_batch = batches[-1]
        with django_atomic():
            http.post(
                "/api/v1/sync/visits",
                {"visits": resend_batch},
                content_type="application/json",
                headers=auth(uploader),
            )
            resent = timed(
                lambda i: http.post(
                    "/api/v1/sync/visits",
                    {"visits": resend_batch},
                    content_type="application/json",
                    headers=auth(uploader),
                ),
                args.runs,
            )
            set_rollback()
        me_uploader = timed(lambda i: http.get("/api/v1/me", headers=auth(uploader)), args.runs)
        row("resent 500, per 100 visits", [t / 5 for t in resent], "GET /me", me_uploader)

    if want("sync"):
        # 5. The first sync of the volunteer whose set is nearest 200 clients.
        pages: list[dict[str, int]] = []

        def first_sync(i: int) -> None:
            cursor, n, raw, packed, requests = None, 0, 0, 0, 0
            while True:
                params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
                response = http.get("/api/v1/sync/changes", params, headers=auth(uploader))
                body = response.content
                requests, raw = requests + 1, raw + len(body)
                packed += (
                    len(gzip.compress(body, 6)) if response.get("Content-Encoding") is None else len(body)
                )
                page = json.loads(body if response.get("Content-Encoding") is None else gzip.decompress(body))
                n += len(page["items"])
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    break
            pages.append({"requests": requests, "items": n, "bytes": raw, "gzip_bytes": packed})

        syncs = timed(first_sync, args.slow_runs, rolled_back=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM recovery_visit v JOIN recovery_client c ON c.id = v.client_id "
                "WHERE c.village_id = %s AND v.occurred_at > now() - %s * interval '1 day'",
                [village, settings.SYNC_VISIT_WINDOW_DAYS],
            )
            set_visits = cursor.fetchone()[0]
        last = pages[-1]
        row(
            f"first GET /sync/changes ({set_clients} clients)",
            syncs,
            "-",
            None,
            set_clients=set_clients,
            window_visits=set_visits,
            **last,
        )
        print(
            f"  {last['requests']} requests, {last['items']:,} items, {last['bytes'] / 1e6:.2f} MB raw, "
            f"{last['gzip_bytes'] / 1e6:.2f} MB gzip (level 6); visits in the window: {set_visits:,}"
        )

    if want("report"):
        # 6. The monthly report: the province with the most clients, and its largest regency.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT left(village_id, 2), count(*) FROM recovery_client GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
            )
            province, province_clients = cursor.fetchone()
            cursor.execute(
                "SELECT left(village_id, 5), count(*) FROM recovery_client WHERE village_id LIKE %s GROUP BY 1 "
                "ORDER BY 2 DESC LIMIT 1",
                [province + ".%"],
            )
            regency, regency_clients = cursor.fetchone()
            cursor.execute(
                "SELECT ra.user_id FROM accounts_roleassignment ra WHERE ra.role = 'coordinator' AND ra.region_id = %s",
                [province],
            )
            coordinator = cursor.fetchone()[0]
        first = day.replace(day=1)
        month = (first - timedelta(days=1)).replace(day=1)
        for area, n in ((province, province_clients), (regency, regency_clients)):
            answers: dict[int, int] = {}

            def report(i: int, area: str = area, answers: dict[int, int] = answers) -> None:
                r = http.get(
                    "/api/v1/reports/monthly",
                    {"area": area, "month": f"{month:%Y-%m}"},
                    headers=auth(coordinator),
                )
                answers[r.status_code] = answers.get(r.status_code, 0) + 1

            times = timed(report, args.slow_runs)
            target = 1000 if len(area) == 2 else 200
            row(
                f"GET /reports/monthly {area} ({n:,} clients)",
                times,
                f"target {target} ms",
                None,
                statuses=answers,
                target_ms=target,
            )

    if want("sweep"):
        # 7. The daily follow-up sweep over the province (each regency on the province's local date).
        from backend.followup.sweep import followup_sweep
        from villages.models import Region

        regencies = list(
            Region.objects.filter(level="regency", code__startswith=province + ".").values_list(
                "code", flat=True
            )
        )
        swept: list[dict[str, int]] = []
        sweeps = timed(
            lambda i: swept.append(followup_sweep(area_codes=regencies)),
            max(1, args.slow_runs // 2),
            rolled_back=True,
        )
        row(f"follow-up sweep, province {province}", sweeps, "-", None, counts=swept[-1] if swept else {})
        print(f"  {swept[-1] if swept else {}}")

    check: dict[str, Any] = {}
    if want("check"):
        # 8. The routing answer against a brute-force geodesic ranking.
        from datasets.national.geodesic import geodesic_check

        check = geodesic_check(origins[: args.check], day=day, radius=radius)
        print(
            f"\nrouting vs brute-force geodesic ranking (pyproj WGS 84), {check['villages']} villages: "
            f"{check['agree']} agree, {check['disagree']} disagree; max distance error {check['max_error_m']:.1f} m"
        )
    total = time.perf_counter() - started
    out = {
        "database": args.db,
        "scale": scale,
        "provinces": provinces or "all",
        "counts": counts,
        "database_size": db_size,
        "machine": f"{platform.node()} {os.cpu_count()} cores, {platform.python_version()}",
        "load_at_end": os.getloadavg(),
        "runs": args.runs,
        "slow_runs": args.slow_runs,
        "rows": rows,
        "geodesic_check": check,
        "seconds": total,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    name = "bench_national.json" if args.only == "" else f"bench_national.{'-'.join(chosen)}.json"
    target = Path(args.json) if args.json else HERE / name
    target.write_text(json.dumps(out, indent=2, default=str))
    print(f"\ntotal {total:.0f} s; load {os.getloadavg()}; written to {target}")


def django_atomic():  # type: ignore[no-untyped-def]
    from django.db import transaction

    return transaction.atomic()


def set_rollback() -> None:
    from django.db import transaction

    transaction.set_rollback(True)


def busiest_volunteer(*, target: int) -> tuple[Any, str, int]:
    """The volunteer (their village, its active clients) whose village holds the active clients nearest
    `target`."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ra.user_id, ra.region_id, c.n FROM accounts_roleassignment ra JOIN ("
            " SELECT village_id, count(*) AS n FROM recovery_client WHERE consent_withdrawn_at IS NULL "
            " AND status NOT IN ('recovered', 'moved', 'deceased') GROUP BY village_id) c ON c.village_id = ra.region_id "
            "WHERE ra.role = 'volunteer' ORDER BY abs(c.n - %s), ra.region_id, ra.user_id LIMIT 1",
            [target],
        )
        return cursor.fetchone()


if __name__ == "__main__":
    main()
