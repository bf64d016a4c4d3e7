"""Routing by travel time over a synthetic province, against straight-line routing and the raw SQL floor.

A province of its own (code 63, in the database `bench_travel`): a grid of roads (primary every 10th line,
secondary every 5th, unclassified between) cut in two by a river with no bridge, three ferry crossings and
boat landings on the west bank; villages and puskesmas at random points, each puskesmas serving the kecamatan
it stands in, three counselors each (one in ten on leave). The extract is written as an .osm file and loaded
through the real command (`import_travel_network`), so the import and the table build are timed as a
deployment runs them.

Reports:
- the import (pyosmium read + COPY) and the table build (pgr_dijkstraCost for every pair within the radius,
  pgr_dijkstra legs for each village's fastest trips), with the pairs built;
- p50/p95 of the routing decision by travel time (`travel_routing.route`) and by straight line
  (`routing.route`) over the same random villages, and the floor: the decision's own SQL statements (captured
  from one call per village) executed raw on one psycopg cursor, with no ORM or Python rules around them.

    .venv/bin/python bench/bench_travel.py                 # reuses the loaded data when it is there
    .venv/bin/python bench/bench_travel.py --rebuild --grid 150
    DATABASE_URL=...bench_pulih_national... .venv/bin/python bench/bench_travel.py --national 62 --grid 150

`--national P` runs on a province of the national synthetic set (`manage.py build_national_dataset`) instead:
its real villages and the set's facilities and staff, with the same kind of synthetic grid and river laid over
the province's bounding box (no Indonesian extract can be downloaded here), imported and built as above.

Not a test: nothing asserts a timing (the machine is shared; compare the ratios). Writes bench_travel.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "0")
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "0")  # the table build is one long statement

import benchdb  # noqa: E402

BENCH_DB = "bench_travel"
PROVINCE = "63"
WEST, SOUTH = 112.0, -2.5
STEP = 0.015  # degrees between grid lines (~1.7 km)
SEED = 20261128


def write_osm(path: Path, grid: int, west: float = WEST, south: float = SOUTH, step: float = STEP) -> None:
    """The grid, the river between columns grid//2 - 1 and grid//2, ferries and landings, as OSM XML."""
    WEST, SOUTH, STEP = west, south, step  # noqa: N806 (the module's defaults, or a national province's box)
    river_col = grid // 2
    river_lon = WEST + (river_col - 0.5) * STEP
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="bench_travel">']

    def node_id(row: int, col: int) -> int:
        return 1 + row * grid + col

    for row in range(grid):
        for col in range(grid):
            lon, lat = WEST + col * STEP, SOUTH + row * STEP
            lines.append(f'<node id="{node_id(row, col)}" lat="{lat:.6f}" lon="{lon:.6f}" version="1"/>')
    river_base = grid * grid + 1
    for row in range(grid):
        lines.append(
            f'<node id="{river_base + row}" lat="{SOUTH + row * STEP:.6f}" lon="{river_lon:.6f}" version="1"/>'
        )
    way = 1

    def klass(i: int) -> str:
        return "primary" if i % 10 == 0 else ("secondary" if i % 5 == 0 else "unclassified")

    def add_way(refs: list[int], tags: dict[str, str]) -> None:
        nonlocal way
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'<way id="{way}" version="1">{nds}{tg}</way>')
        way += 1

    for row in range(grid):  # east-west roads stop at the river (no bridge)
        add_way([node_id(row, c) for c in range(river_col)], {"highway": klass(row)})
        add_way([node_id(row, c) for c in range(river_col, grid)], {"highway": klass(row)})
    for col in range(grid):
        add_way([node_id(r, col) for r in range(grid)], {"highway": klass(col)})
    for row in (grid // 6, grid // 2, 5 * grid // 6):
        add_way([node_id(row, river_col - 1), node_id(row, river_col)], {"route": "ferry"})
    add_way([river_base + r for r in range(grid)], {"waterway": "river"})
    for row in range(0, grid, 20):  # landings on the west bank
        add_way([node_id(row, river_col - 1), river_base + row], {"highway": "service"})
    lines.append("</osm>")
    path.write_text("\n".join(lines))


def load(rng: random.Random, *, grid: int, villages: int, facilities: int) -> None:
    from django.contrib.gis.geos import Point
    from django.db import transaction

    from backend.accounts.models import Certification, RoleAssignment, User
    from backend.recovery.models import Client
    from villages.models import Facility, Region

    east, north = WEST + (grid - 1) * STEP, SOUTH + (grid - 1) * STEP
    bands = 5

    def district(lon: float, lat: float) -> str:
        bx = min(bands - 1, int((lon - WEST) / (east - WEST) * bands))
        by = min(2, int((lat - SOUTH) / (north - SOUTH) * 3))
        return f"{PROVINCE}.01.{by * bands + bx + 1:02d}"

    today = date.today()
    with transaction.atomic():
        Region.objects.create(code=PROVINCE, level="province", name="Provinsi Sungai", point=Point(113, -1.5))
        Region.objects.create(
            code=f"{PROVINCE}.01", level="regency", name="Kabupaten Sungai", parent_id=PROVINCE
        )
        Region.objects.bulk_create(
            [
                Region(
                    code=f"{PROVINCE}.01.{d:02d}",
                    level="district",
                    name=f"Kec {d}",
                    parent_id=f"{PROVINCE}.01",
                )
                for d in range(1, bands * 3 + 1)
            ]
        )
        vs = []
        for i in range(villages):
            lon, lat = rng.uniform(WEST, east), rng.uniform(SOUTH, north)
            d = district(lon, lat)
            vs.append(
                Region(
                    code=f"{d}.{2000 + i:04d}",
                    level="village",
                    name=f"Desa {i}",
                    parent_id=d,
                    point=Point(lon, lat),
                )
            )
        Region.objects.bulk_create(vs, batch_size=2000)
        fs = []
        for i in range(facilities):
            lon, lat = rng.uniform(WEST, east), rng.uniform(SOUTH, north)
            home = min(vs, key=lambda v: (v.point.x - lon) ** 2 + (v.point.y - lat) ** 2)
            fs.append(
                Facility(
                    code=f"BT-{i:04d}",
                    name=f"Puskesmas {i}",
                    type="puskesmas",
                    village_id=home.code,
                    location=Point(lon, lat),
                    working_area=[district(lon, lat)],
                )
            )
        Facility.objects.bulk_create(fs)
        users, roles, certs = [], [], []
        for i in range(facilities * 3):
            leave = rng.random() < 0.1
            user = User(
                id=uuid.uuid4(),
                phone=f"+6285{i:09d}",
                name=f"Konselor {i}",
                password="!",
                on_leave_from=today - timedelta(days=1) if leave else None,
                on_leave_until=today + timedelta(days=5) if leave else None,
            )
            users.append(user)
            roles.append(RoleAssignment(user_id=user.id, role="counselor", facility_id=fs[i // 3].id))
            certs.append(
                Certification(
                    user_id=user.id,
                    kind="counselor",
                    number=f"C-{i}",
                    issuer="BNN RI",
                    issued_on=today - timedelta(days=300),
                    expires_on=today + timedelta(days=400),
                )
            )
        User.objects.bulk_create(users)
        RoleAssignment.objects.bulk_create(roles)
        Certification.objects.bulk_create(certs)
        Client.objects.none()  # (no clients needed: routing is called directly)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--grid", type=int, default=120, help="grid lines each way (default 120: ~14,400 nodes)"
    )
    parser.add_argument("--villages", type=int, default=1500)
    parser.add_argument("--facilities", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--national", metavar="PROVINCE", help="a province of the national set (DATABASE_URL)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    global PROVINCE
    if args.national:
        PROVINCE = args.national  # the database DATABASE_URL names, as it is
    else:
        benchdb.use_bench_database(BENCH_DB, rebuild=args.rebuild)
    from django.core.management import call_command
    from django.db import connection

    from backend.escalations import routing, travel_routing
    from backend.escalations.areas import area_settings
    from backend.travel.models import TravelEdge, TravelTime
    from villages.models import Region

    call_command("migrate", verbosity=0)
    out: dict[str, object] = {"grid": args.grid, "villages": args.villages, "facilities": args.facilities}
    box: dict[str, float] = {}
    if args.national:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(ST_X(point::geometry)), min(ST_Y(point::geometry)), max(ST_X(point::geometry)), "
                "max(ST_Y(point::geometry)), count(*) FROM villages_region WHERE level = 'village' "
                "AND code LIKE %s AND point IS NOT NULL",
                [PROVINCE + ".%"],
            )
            x0, y0, x1, y1, n = cursor.fetchone()
            cursor.execute(
                "SELECT count(*) FROM villages_facility WHERE village_id LIKE %s", [PROVINCE + ".%"]
            )
            out.update(national=PROVINCE, villages=n, facilities=cursor.fetchone()[0])
        box = {
            "west": x0 - 0.01,
            "south": y0 - 0.01,
            "step": (max(x1 - x0, y1 - y0) + 0.02) / (args.grid - 1),
        }
        out["grid_step_km"] = round(box["step"] * 111, 2)
    elif not Region.objects.filter(code=PROVINCE).exists():
        t = time.perf_counter()
        load(random.Random(SEED), grid=args.grid, villages=args.villages, facilities=args.facilities)
        print(f"loaded villages, facilities and staff in {time.perf_counter() - t:.1f}s", flush=True)
    if not TravelEdge.objects.filter(province_code=PROVINCE).exists() or args.rebuild:
        with tempfile.TemporaryDirectory() as tmp:
            osm = Path(tmp) / "province.osm"
            write_osm(osm, args.grid, **box)
            out["osm_mb"] = round(osm.stat().st_size / 1e6, 1)
            from backend.travel.services import network_load, travel_times_build

            t = time.perf_counter()
            edges, vertices = network_load(path=osm, province_code=PROVINCE)
            out["import_s"] = round(time.perf_counter() - t, 2)
            report = travel_times_build(province_code=PROVINCE)
            out.update(edges=edges, vertices=vertices, build_s=round(report.seconds, 2), pairs=report.pairs)
            print(f"network: {edges} edges, {vertices} vertices, imported in {out['import_s']}s", flush=True)
            print(report.summary(), flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        out["pairs"] = TravelTime.objects.filter(province_code=PROVINCE).count()

    rng = random.Random(SEED + 1)
    codes = list(
        Region.objects.filter(level="village", code__startswith=f"{PROVINCE}.").values_list("code", flat=True)
    )
    picks = [rng.choice(codes) for _ in range(args.runs)]
    areas = {c: area_settings(village_code=c) for c in set(picks)}
    day = date.today()

    def by_travel(code: str) -> routing.Decision:
        a = areas[code]
        return travel_routing.route(
            village_code=code,
            network=a.network,
            origin=a.point,
            need="counseling",
            day=day,
            radius_km=a.max_radius_km,
            max_travel_minutes=a.max_travel_minutes,
            declined=set(),
        )

    def by_line(code: str) -> routing.Decision:
        a = areas[code]
        return routing.route(
            origin=a.point, need="counseling", day=day, radius_km=a.max_radius_km, declined=set()
        )

    for code in picks[:10]:  # warm the connection and the plans
        by_travel(code), by_line(code)
    results: dict[str, list[float]] = {
        "travel time (travel_routing.route)": [],
        "straight line (routing.route)": [],
    }
    statements: list[list[tuple[str, object]]] = []
    tiers: dict[str, int] = {}
    for code in picks:
        captured: list[tuple[str, object]] = []

        def capture(execute, sql, params, many, context, captured=captured):  # type: ignore[no-untyped-def]
            captured.append((sql, params))
            return execute(sql, params, many, context)

        t = time.perf_counter()
        decision = by_travel(code)
        results["travel time (travel_routing.route)"].append((time.perf_counter() - t) * 1000)
        tiers[str(decision.tier if decision.chosen else "unreachable")] = tiers.get(str(decision.tier), 0) + 1
        with connection.execute_wrapper(capture):
            by_travel(code)
        statements.append(captured)
        t = time.perf_counter()
        by_line(code)
        results["straight line (routing.route)"].append((time.perf_counter() - t) * 1000)
    floor = []
    raw = connection.connection  # the psycopg connection under Django's
    with raw.cursor() as cursor:
        for stmts in statements:
            t = time.perf_counter()
            for sql, params in stmts:
                cursor.execute(sql, params)
                cursor.fetchall()
            floor.append((time.perf_counter() - t) * 1000)
    results["floor: its statements, raw"] = floor
    base = statistics.median(floor)
    print(f"\n{'':44} {'p50 ms':>8} {'p95 ms':>8} {'x floor':>8}")
    for label, values in results.items():
        print(f"{label:44} {pct(values, 0.5):8.2f} {pct(values, 0.95):8.2f} {pct(values, 0.5) / base:8.1f}")
        out[label] = {"p50": round(pct(values, 0.5), 2), "p95": round(pct(values, 0.95), 2)}
    out["statements_per_decision"] = statistics.median(len(s) for s in statements)
    out["tiers"] = tiers
    print(f"statements per travel-time decision: {out['statements_per_decision']}; tiers: {tiers}")
    suffix = f"_national_{PROVINCE}.json" if args.national else ".json"
    Path(__file__).with_name(Path(__file__).stem + suffix).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
