"""Do sign-ins block sync? The p95 of incremental syncs while a burst of sign-ins arrives, against the same server
quiet, for gunicorn's sync workers, gthread workers, and gthread workers with the sign-in gate (gunicorn.conf.py's
default), in one run.

A sign-in checks a password with PBKDF2 (about half a second of CPU). With sync workers a process answers one
request at a time, so a burst of sign-ins (every phone of a district in the morning, or all of them after a key
rotation) held every worker and the syncs queued behind them. The measurement, per worker class:

1. the production server (bench/load/stack.py: gunicorn.conf.py, PULIH_ENV=production) on the bench database
   (bench/load/seed.py's data; seeded if missing), GUNICORN_WORKERS processes;
2. SYNC_PHONES volunteers sign in and make their first sync, then each asks `GET /sync/changes?cursor=...` (the
   incremental sync a phone makes every few minutes) in a loop, every 0.2 s;
3. QUIET seconds of that alone, then BURST sign-ins of other volunteers from BURST_THREADS threads at once,
   then a few seconds more;
4. the syncs are split by when they started: quiet, or while the burst ran. Their p50/p95 and the ratio of the
   p95 during the burst to the quiet p95 are printed (the ratio depends less on the machine's other tenants).

    .venv/bin/python bench/bench_signin_burst.py [--variants sync,gthread-nogate,gthread] [--workers 3] [--burst 24]

Timings on a shared machine vary with what else runs: the load average is printed beside them. Nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))
import stack  # noqa: E402

stack.django_setup()

SYNC_PHONES = 4
BURST_THREADS = 12
QUIET = 15.0
AFTER = 3.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def sign_in(base: str, phone: str, password: str) -> str:
    """As the app does: a 503 (`sign_in_busy`) is retried after its Retry-After."""
    for _ in range(300):
        status, h, raw = stack.http(
            "POST", f"{base}/auth/login", {"phone": phone, "password": password}, timeout=120
        )
        if status == 200:
            return json.loads(raw)["access"]
        if status != 503:
            raise RuntimeError(f"sign-in {status}: {raw[:200]!r}")
        time.sleep(float(h.get("Retry-After", 1)))
    raise RuntimeError("sign-in still busy after 300 tries")


def first_sync(base: str, access: str) -> str:
    cursor = ""
    for _ in range(100):
        query = f"?limit=500&cursor={cursor}" if cursor else "?limit=500"
        status, _h, raw = stack.http(
            "GET", f"{base}/sync/changes{query}", headers={"Authorization": f"Bearer {access}"}, timeout=120
        )
        body = json.loads(raw)
        assert status == 200, body
        cursor = body.get("next_cursor") or cursor
        if not body.get("has_more"):
            return cursor
    return cursor


class Syncer(threading.Thread):
    def __init__(self, base: str, access: str, cursor: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.access, self.cursor, self.stop = base, access, cursor, stop
        self.samples: list[tuple[float, float, int]] = []  # (started, ms, status)

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            status, _h, raw = stack.http(
                "GET",
                f"{self.base}/sync/changes?limit=500&cursor={self.cursor}",
                headers={"Authorization": f"Bearer {self.access}"},
                timeout=120,
            )
            self.samples.append((started, (time.monotonic() - started) * 1000, status))
            if status == 200:
                self.cursor = json.loads(raw).get("next_cursor") or self.cursor
            time.sleep(0.2)


# What is compared: gunicorn's sync workers (before), gthread workers alone, and gthread with the sign-in gate
# (api/routers/auth.py: at most half a worker's threads check a password at once; gunicorn.conf.py's default).
VARIANTS = {
    "sync": {"GUNICORN_WORKER_CLASS": "sync"},
    "gthread-nogate": {"GUNICORN_WORKER_CLASS": "gthread", "SIGN_IN_CONCURRENCY": "4"},
    "gthread": {"GUNICORN_WORKER_CLASS": "gthread"},
}


def measure(variant: str, workers: int, burst: int, data: dict[str, Any]) -> dict[str, Any]:
    env = VARIANTS[variant]
    s = stack.Stack(workers=workers, env_extra=env)
    password = data["password"]
    volunteers = [v["phone"] for v in data["volunteers"]]
    try:
        s.start_server()
        phones = volunteers[:SYNC_PHONES]
        stop = threading.Event()
        syncers = []
        for phone in phones:
            access = sign_in(s.base, phone, password)
            syncers.append(Syncer(s.base, access, first_sync(s.base, access), stop))
        load_before = os.getloadavg()[0]
        for t in syncers:
            t.start()
        time.sleep(QUIET)
        # The burst: `burst` sign-ins of other volunteers, BURST_THREADS at a time.
        todo = list(volunteers[SYNC_PHONES : SYNC_PHONES + burst])
        lock = threading.Lock()
        sign_in_ms: list[float] = []

        def signer() -> None:
            while True:
                with lock:
                    if not todo:
                        return
                    phone = todo.pop()
                started = time.monotonic()
                sign_in(s.base, phone, password)
                with lock:
                    sign_in_ms.append((time.monotonic() - started) * 1000)

        burst_start = time.monotonic()
        signers = [threading.Thread(target=signer, daemon=True) for _ in range(BURST_THREADS)]
        for t in signers:
            t.start()
        for t in signers:
            t.join()
        burst_end = time.monotonic()
        time.sleep(AFTER)
        stop.set()
        for t in syncers:
            t.join(130)
    finally:
        s.stop()
    samples = [x for t in syncers for x in t.samples]
    quiet = [ms for started, ms, _st in samples if started < burst_start]
    during = [ms for started, ms, _st in samples if burst_start <= started < burst_end]
    return {
        "variant": variant,
        "workers": workers,
        "threads": 1 if variant == "sync" else 4,
        "load_before": round(load_before, 1),
        "errors": sum(1 for _s, _ms, st in samples if st != 200),
        "quiet": {"n": len(quiet), "p50": pct(quiet, 50), "p95": pct(quiet, 95)},
        "burst": {"n": len(during), "p50": pct(during, 50), "p95": pct(during, 95)},
        "burst_seconds": round(burst_end - burst_start, 1),
        "sign_ins": {"n": len(sign_in_ms), "p50": pct(sign_in_ms, 50), "p95": pct(sign_in_ms, 95)},
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default="sync,gthread-nogate,gthread")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--burst", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=1, help="each class this many times, alternating")
    args = parser.parse_args()

    stack.database_prepare()
    data_file = stack.ROOT / ".local" / "bench-load-users.json"
    if data_file.exists():
        data = json.loads(data_file.read_text())
    else:
        from bench.load.seed import seed

        data = seed()
        data_file.write_text(json.dumps(data))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}", flush=True)
    results = []
    for _round in range(args.rounds):
        for variant in args.variants.split(","):
            r = measure(variant, args.workers, args.burst, data)
            results.append(r)
            ratio = r["burst"]["p95"] / r["quiet"]["p95"] if r["quiet"]["p95"] else float("nan")
            print(
                f"{variant:15s} {r['workers']} workers x {r['threads']} threads: sync quiet p50/p95 "
                f"{r['quiet']['p50']:.0f}/{r['quiet']['p95']:.0f} ms (n={r['quiet']['n']}), during the burst "
                f"{r['burst']['p50']:.0f}/{r['burst']['p95']:.0f} ms (n={r['burst']['n']}), p95 ratio {ratio:.1f}; "
                f"{r['sign_ins']['n']} sign-ins in {r['burst_seconds']} s (p50 {r['sign_ins']['p50']:.0f} ms); "
                f"{r['errors']} errors; load average before {r['load_before']}",
                flush=True,
            )
    out = stack.ROOT / ".local" / "bench-signin-burst.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"(all figures: {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
