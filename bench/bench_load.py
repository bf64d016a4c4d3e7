"""Load: mixed mobile traffic (bench/load/locustfile.py, headless locust) against the production server
(gunicorn with gunicorn.conf.py, PULIH_ENV=production) on loopback, stepping the number of simulated phones up.

For each step: requests per second, p50/p95/p99, failures, per endpoint p95, and what the machine did meanwhile
(CPU of the whole machine, of gunicorn, of the bench database's PostgreSQL backends and of locust itself;
PostgreSQL connections, active ones and what they waited on, from pg_stat_activity). It reports the highest
sustained rate with p95 under 200 ms and no failures, and where and why it broke.

The data: bench/load/seed.py (a regency-sized slice; the national dataset of issue 11 does not exist yet), in
the database bench_pulih_load on the embedded cluster, rebuilt at every run (`--no-seed` keeps it). A real
Celery worker runs beside the server, its pushes going to the local fake FCM (tests/fakes/fcm.py).

    .venv/bin/python bench/bench_load.py [--steps 5,10,20,40,80] [--seconds 45] [--workers 3]
    PULIH_LOAD_DB=bench_pulih_national DATABASE_URL=...the cluster holding it... \
        .venv/bin/python bench/bench_load.py --national 62 --steps 4,8,16

`--national P` runs the same mix on the national synthetic set (`manage.py build_national_dataset`, named by
PULIH_LOAD_DB) instead of the seeded slice: volunteers of province P with their villages' active clients, its
certified staff and its coordinators (the set's one password). What the load writes stays in that database.

Timings on a shared 2-core machine vary with what else runs: read them beside the CPU figures printed with them.
Nothing here asserts a timing; the exit status is 0 when at least one step met the target.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))
import stack  # noqa: E402

stack.django_setup()

from tests.fakes.fcm import FakeFCM  # noqa: E402

TARGET_P95_MS = 200.0


def national_data(province: str, volunteers: int = 300, staff: int = 200) -> dict:
    """The load's users from the national set: volunteers of `province` with their villages' active clients,
    certified staff of its facilities, its province coordinator and a regency's."""
    from django.db import connection

    from datasets.national.plan import PASSWORD

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.phone, array_agg(c.id::text ORDER BY c.id) FROM accounts_roleassignment ra "
            "JOIN accounts_user u ON u.id = ra.user_id JOIN recovery_client c ON c.village_id = ra.region_id "
            "WHERE ra.role = 'volunteer' AND ra.active AND ra.region_id LIKE %s AND c.consent_withdrawn_at IS NULL "
            "AND c.status NOT IN ('recovered', 'moved', 'deceased') GROUP BY u.phone ORDER BY u.phone LIMIT %s",
            [province + ".%", volunteers],
        )
        vols = [{"phone": phone, "clients": ids[:200]} for phone, ids in cursor.fetchall()]
        cursor.execute(
            "SELECT DISTINCT u.phone FROM accounts_roleassignment ra JOIN accounts_user u ON u.id = ra.user_id "
            "JOIN villages_facility f ON f.id = ra.facility_id WHERE ra.role IN ('counselor', 'assessor') "
            "AND ra.active AND f.village_id LIKE %s ORDER BY 1 LIMIT %s",
            [province + ".%", staff],
        )
        staff_phones = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT u.phone, ra.region_id FROM accounts_roleassignment ra JOIN accounts_user u ON u.id = ra.user_id "
            "WHERE ra.role = 'coordinator' AND ra.active AND (ra.region_id = %s OR ra.region_id LIKE %s) "
            "ORDER BY length(ra.region_id), ra.region_id LIMIT 2",
            [province, province + ".%"],
        )
        coordinators = [{"phone": phone, "area": area} for phone, area in cursor.fetchall()]
    return {
        "password": PASSWORD,
        "volunteers": vols,
        "staff": staff_phones,
        "coordinators": coordinators,
        "counts": {"volunteers": len(vols), "staff": len(staff_phones), "coordinators": len(coordinators)},
    }


def locust_step(base: str, users: int, seconds: int, data: Path, folder: Path) -> dict:
    prefix = folder / f"step-{users}"
    env = {**os.environ, "PULIH_LOAD_DATA": str(data)}
    command = [
        str(stack.BIN / "locust"),
        "-f",
        str(stack.ROOT / "bench" / "load" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "--reset-stats",  # the start-up sign-ins and first syncs of every phone are not the steady mix
        "-u",
        str(users),
        "-r",
        str(max(1, users // 2)),
        "-t",
        f"{seconds}s",
        "--host",
        base.removesuffix("/api/v1"),
        "--csv",
        str(prefix),
        "--loglevel",
        "WARNING",
    ]
    with (folder / f"locust-{users}.log").open("w") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=stack.ROOT)
    return {"proc": proc, "prefix": prefix}


def _ms(value: str) -> float:
    """A percentile of locust's CSV: 'N/A' (an endpoint with no request since the stats were reset) is 0."""
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def read_stats(prefix: Path) -> dict:
    if not Path(f"{prefix}_stats.csv").exists():
        raise RuntimeError(f"locust wrote no statistics: see {prefix.parent}/locust-*.log")
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))  # noqa: SIM115, PTH123
    total = next(r for r in rows if r["Name"] == "Aggregated")
    per = {
        r["Name"]: {
            "n": int(r["Request Count"]),
            "fail": int(r["Failure Count"]),
            "p50": _ms(r["50%"]),
            "p95": _ms(r["95%"]),
        }
        for r in rows
        if r["Name"] != "Aggregated"
    }
    failures = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        failures = [
            f"{r['Occurrences']}x {r['Name']}: {r['Error'][:160]}"
            for r in csv.DictReader(failures_csv.open())
        ]
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"] or 0),
        "p95": float(total["95%"] or 0),
        "p99": float(total["99%"] or 0),
        "per_endpoint": per,
        "failure_lines": failures[:6],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="5,10,20,40,80")
    parser.add_argument("--seconds", type=int, default=45)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (the image's default: 3)")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--keep-going", action="store_true", help="run every step even after one broke")
    parser.add_argument("--national", metavar="PROVINCE", help="the national set (PULIH_LOAD_DB), province P")
    args = parser.parse_args()

    print("preparing bench_pulih_load (the first run migrates: about a minute) ...", flush=True)
    stack.database_prepare()
    from bench.load.seed import seed

    data_file = Path(os.environ.get("PULIH_LOAD_DATA_FILE", stack.ROOT / ".local" / "bench-load-users.json"))
    if args.national:
        data = national_data(args.national)
        data_file.parent.mkdir(parents=True, exist_ok=True)
        data_file.write_text(json.dumps(data))
        print(f"national set, province {args.national}: {data['counts']}", flush=True)
    elif args.no_seed and data_file.exists():
        data = json.loads(data_file.read_text())
    else:
        started = time.monotonic()
        data = seed()
        data_file.parent.mkdir(parents=True, exist_ok=True)
        data_file.write_text(json.dumps(data))
        print(f"seeded {data['counts']} in {time.monotonic() - started:.0f} s", flush=True)

    # What one sign-in costs in CPU, whatever the load: the production hasher's password check.
    from django.contrib.auth.hashers import check_password, make_password

    hashed = make_password("x" * 20)
    cpu0 = time.process_time()
    for _ in range(3):
        check_password("x" * 20, hashed)
    login_cpu_ms = (time.process_time() - cpu0) / 3 * 1000
    print(
        f"one password check (PBKDF2, the production hasher) costs {login_cpu_ms:.0f} ms of CPU here",
        flush=True,
    )

    fcm = FakeFCM().start()
    s = stack.Stack(workers=args.workers)
    results = []
    try:
        s.start_server()
        s.start_worker(fcm.send_url, fcm.service_account(s.folder / "service-account.json"))
        print(
            f"gunicorn ({args.workers} workers of gunicorn.conf.py: gthread, 4 threads) on {s.base}, one Celery "
            f"worker; logs in {s.folder}",
            flush=True,
        )
        print(f"machine: {os.cpu_count()} cores, load average before: {os.getloadavg()}", flush=True)
        for users in [int(u) for u in args.steps.split(",")]:
            load_before = os.getloadavg()[0]
            run = locust_step(s.base, users, args.seconds, data_file, s.folder)
            locust_pid = run["proc"].pid
            sampler = stack.Sampler(
                {
                    "gunicorn": s.server_pids,
                    "postgres": lambda: stack.postgres_pids(stack.DB_NAME),
                    "locust": lambda pid=locust_pid: [pid],
                    "celery": lambda: [s.worker.pid] if s.worker else [],
                }
            ).start()
            run["proc"].wait(args.seconds + 120)
            machine = stack.summarize(sampler.stop())
            stats = read_stats(run["prefix"])
            if machine and stats["rps"]:
                # CPU spent per request by the server side (gunicorn + its PostgreSQL backends): a figure that
                # depends far less on the other tenants of a shared machine than the latencies do.
                cpu = machine["cpu_gunicorn_pct"]["mean"] + machine["cpu_postgres_pct"]["mean"]
                stats["server_cpu_ms_per_request"] = round(cpu / 100 * 1000 / stats["rps"], 1)
            ok = stats["failures"] == 0 and stats["p95"] <= TARGET_P95_MS and stats["requests"] > 0
            results.append(
                {"users": users, "ok": ok, "load_before": load_before, **stats, "machine": machine}
            )
            print(
                f"\n== {users} phones: {stats['rps']:.1f} req/s, p50 {stats['p50']:.0f} ms, "
                f"p95 {stats['p95']:.0f} ms, p99 {stats['p99']:.0f} ms, "
                f"{stats['failures']} failures of {stats['requests']}  -> {'PASS' if ok else 'OVER'}"
                f"  (load average before the step {load_before:.1f})",
                flush=True,
            )
            for name, e in sorted(stats["per_endpoint"].items()):
                print(
                    f"   {name:38s} n={e['n']:6d} fail={e['fail']:4d} p50={e['p50']:6.0f} p95={e['p95']:6.0f}"
                )
            for line in stats["failure_lines"]:
                print(f"   failure: {line}")
            m = machine
            if m:
                print(
                    f"   CPU: machine busy {m['machine_busy_pct']['mean']}% (max {m['machine_busy_pct']['max']}%);"
                    f" gunicorn {m['cpu_gunicorn_pct']['mean']}% of a core, postgres {m['cpu_postgres_pct']['mean']}%,"
                    f" locust {m['cpu_locust_pct']['mean']}%, celery {m['cpu_celery_pct']['mean']}%"
                )
                print(
                    f"   PostgreSQL: {m['pg_connections']['max']} connections at most, "
                    f"{m['pg_active']['mean']} active on average (max {m['pg_active']['max']}), "
                    f"lock waits max {m['pg_lock_waits']['max']}; waits seen: {m['pg_waits_top']}",
                    flush=True,
                )
                print(
                    f"   server CPU per request: {stats.get('server_cpu_ms_per_request')} ms (gunicorn + postgres)"
                )
            if not ok and not args.keep_going and len(results) >= 2 and not results[-2]["ok"]:
                break  # two steps over the target: the knee is found
    finally:
        s.stop()
        fcm.stop()

    good = [r for r in results if r["ok"]]
    print("\n== summary")
    if good:
        best = max(good, key=lambda r: r["rps"])
        print(
            f"sustained: {best['rps']:.1f} req/s with p95 {best['p95']:.0f} ms and no failures "
            f"({best['users']} simulated phones, gunicorn {args.workers} workers)"
        )
    else:
        print("no step met p95 <= 200 ms with no failures")
    over = [r for r in results if not r["ok"]]
    if over:
        first = over[0]
        m = first["machine"]
        print(
            f"first over: {first['users']} phones, {first['rps']:.1f} req/s, p95 {first['p95']:.0f} ms, "
            f"{first['failures']} failures; machine busy {m.get('machine_busy_pct', {}).get('mean')}%, "
            f"gunicorn {m.get('cpu_gunicorn_pct', {}).get('mean')}% of a core, "
            f"postgres {m.get('cpu_postgres_pct', {}).get('mean')}%, "
            f"PostgreSQL connections max {m.get('pg_connections', {}).get('max')}, "
            f"lock waits max {m.get('pg_lock_waits', {}).get('max')}"
        )
    out = stack.ROOT / ".local" / "bench-load-results.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"(all figures: {out})")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
