"""Benchmark of the daily follow-up sweep (backend/followup/sweep.py) over one province of 50,000 clients, in a
database of its own (`bench_pulih_followup` on the embedded cluster, created and loaded on first use, kept).

The synthetic province: 14 regencies x 8 districts x 12 villages (1,344 villages, WIB), two volunteers and one
official per village, a coordinator per regency, 30 facilities with an admin; 50,000 clients over the lifecycle
(inpatient and closed ones included, which the sweep leaves alone), 80% with an assigned volunteer, ~3 visits
each (a third of the latest ones plan a next visit), contact attempts (some clients with 1-4 unanswered calls
since their last contact), consents (1% withdrawn; 40% with contact_family and a family member), open cases at
a facility for 2%. Last contacts: 85% within 9 days, 8% 10-13 days, 5% 14-29 days, 2% 30-60 days ago.

Measured, each run inside a transaction rolled back afterwards (so every run starts from the same state):
- first run of a day: every client evaluated, the backlog's episodes started (tasks, inbox rows);
- rerun the same day: nothing to read again;
- the next day after a first run (ANALYZE between the two, as autovacuum would): escalations and the day's
  new episodes;
- the evaluation alone (the facts query and the rules, no writes) against a naive baseline measured in the same
  run: per client one query per fact (consent, latest visit, attempts, outpatient start, hand-over), on a sample
  of 1,000 clients scaled to the province (marked "est.").

    .venv/bin/python bench/bench_followup.py            # reuses the loaded data when it is there
    .venv/bin/python bench/bench_followup.py --rebuild  # drop and load again
    .venv/bin/python bench/bench_followup.py --runs 5

Not a test: nothing asserts a timing (the machine is shared; compare the ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
os.environ["CELERY_BROKER_URL"] = "memory://"  # pushes go nowhere (and runs are rolled back anyway)
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Loading the data holds a transaction while Python builds rows: on a busy machine that passes the server's
# idle-in-transaction limit (60 s by default), which a bench does not need.
os.environ.setdefault("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "0")
# COPY of a million visits (bench_report.py --large) passes the 30 s statement timeout on a busy machine.
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "0")

import benchdb  # noqa: E402  (bench/: the bench's own database)

from datasets.national.plan import contact_gap_days  # noqa: E402  (the same draw as the national set)

BENCH_DB = "bench_pulih_followup"
N_REGENCIES, N_DISTRICTS, N_VILLAGES = 14, 8, 12
SEED = 20261127
STATUSES = [  # (status, share)
    ("community_recovery", 0.66),
    ("screened", 0.08),
    ("identified", 0.05),
    ("escalated", 0.04),
    ("outpatient", 0.04),
    ("methadone", 0.02),
    ("post_rehab", 0.04),
    ("inpatient", 0.02),
    ("recovered", 0.02),
    ("lost_contact", 0.02),
    ("dropped_out", 0.01),
]


def use_bench_database(rebuild: bool) -> None:
    """Point Django at this bench's own database (benchdb.py) before any connection is opened."""
    benchdb.use_bench_database(BENCH_DB, rebuild=rebuild)


def copy_rows(table: str, columns: list[str], rows) -> int:  # type: ignore[no-untyped-def]
    """COPY rows (tuples in `columns` order) into `table`: the fast path for hundreds of thousands of rows."""
    from django.db import connection

    n = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def load(
    rng: random.Random, n_clients: int, *, visits_per_client: tuple[int, int] = (1, 5), history: bool = False
) -> None:
    """The synthetic province (see the module docstring). `visits_per_client`: the range of visits per client (two weeks
    apart); `history`: every client gets the status changes that led to their status (identified, screened,
    then theirs), as a registry of some years has (bench_report.py's larger province)."""
    from django.contrib.gis.geos import Point
    from django.db import connection, transaction
    from django.utils import timezone

    from backend.accounts.models import Role, RoleAssignment, User
    from backend.escalations.models import Escalation
    from villages.models import Facility, Region

    now = timezone.now()
    with transaction.atomic():
        Region.objects.create(code="62", level="province", name="Kalimantan Tengah (bench)")
        regions, villages = [], []
        for r in range(1, N_REGENCIES + 1):
            regency = f"62.{r:02d}"
            regions.append(Region(code=regency, level="regency", name=f"Kabupaten Bench {r}", parent_id="62"))
            for d in range(1, N_DISTRICTS + 1):
                district = f"{regency}.{d:02d}"
                regions.append(
                    Region(code=district, level="district", name=f"Kecamatan {r}-{d}", parent_id=regency)
                )
                for v in range(1, N_VILLAGES + 1):
                    code = f"{district}.{2000 + v}"
                    lon, lat = 112.0 + r * 0.2 + v * 0.01, -1.0 - d * 0.1
                    regions.append(
                        Region(
                            code=code,
                            level="village",
                            name=f"Desa {r}-{d}-{v}",
                            parent_id=district,
                            point=Point(lon, lat, srid=4326),
                        )
                    )
                    villages.append(code)
        Region.objects.bulk_create(regions, batch_size=2000)

        users, roles = [], []
        by_village: dict[str, list[uuid.UUID]] = {}

        def user(role: str, region: str | None = None, facility: Facility | None = None) -> User:
            u = User(
                id=uuid.uuid4(), phone=f"+62899{len(users):08d}", name=f"Pengguna {len(users)}", password="!"
            )
            users.append(u)
            roles.append(RoleAssignment(user=u, role=role, region_id=region, facility=facility))
            return u

        for code in villages:
            by_village[code] = [user(Role.VOLUNTEER, code).id, user(Role.VOLUNTEER, code).id]
            user(Role.VILLAGE_OFFICIAL, code)
        for r in range(1, N_REGENCIES + 1):
            user(Role.COORDINATOR, f"62.{r:02d}")
        facilities = [
            Facility(
                code=f"BENCH-PKM-{i}",
                name=f"Puskesmas Bench {i}",
                type="puskesmas",
                village_id=villages[i * 40],
                location=Point(113.0, -1.5, srid=4326),
            )
            for i in range(30)
        ]
        Facility.objects.bulk_create(facilities)
        for f in facilities:
            user(Role.FACILITY_ADMIN, facility=f)
        registrar = users[0]
        User.objects.bulk_create(users, batch_size=5000)
        RoleAssignment.objects.bulk_create(roles, batch_size=5000)

        statuses = [s for s, _w in STATUSES]
        weights = [w for _s, w in STATUSES]
        clients, assigned, visits, attempts, consents, changes, members, links, cases = ([] for _ in range(9))
        for i in range(n_clients):
            cid, village = uuid.uuid4(), rng.choice(villages)
            status = rng.choices(statuses, weights)[0]
            created = now - timedelta(days=rng.uniform(60, 400))
            last = now - timedelta(days=contact_gap_days(rng))
            worker = rng.choice(by_village[village])
            if rng.random() < 0.8:
                assigned.append((cid, worker))
            for k in range(rng.randint(*visits_per_client)):
                at = last - timedelta(days=14 * k)
                plan = (at + timedelta(days=14)).date() if k == 0 and rng.random() < 0.33 else None
                visits.append(
                    (uuid.uuid4(), cid, worker, at, at, "home_visit", '["client"]', "", "", plan, "", 1, at)
                )
            if rng.random() < 0.1:  # unanswered calls since the last contact
                for k in range(rng.randint(1, 4)):
                    at = last + timedelta(hours=6 + k)
                    attempts.append(
                        (uuid.uuid4(), cid, worker, min(at, now), now, "phone_call", "no_answer", "", "x")
                    )
            if rng.random() < 0.2:
                at = last - timedelta(days=3)
                attempts.append((uuid.uuid4(), cid, worker, at, at, "phone_call", "reached", "", "x"))
            consents.append((uuid.uuid4(), cid, "data_collection", True, "client", registrar.id, created, ""))
            if rng.random() < 0.01:
                consents.append(
                    (
                        uuid.uuid4(),
                        cid,
                        "data_collection",
                        False,
                        "client",
                        registrar.id,
                        now - timedelta(days=5),
                        "",
                    )
                )
            if rng.random() < 0.4:
                consents.append(
                    (uuid.uuid4(), cid, "contact_family", True, "client", registrar.id, created, "")
                )
                member = uuid.uuid4()
                members.append(
                    (
                        member,
                        f"Keluarga {i}",
                        "ibu",
                        "",
                        "supporter",
                        True,
                        village,
                        registrar.id,
                        1,
                        created,
                        created,
                    )
                )
                links.append((uuid.uuid4(), cid, member, created, registrar.id))
            if history:
                path = list(dict.fromkeys(["identified", "screened", status]))
                at = created
                for before, after in zip(path, path[1:], strict=False):
                    at += (now - at) * rng.uniform(0.05, 0.5)
                    changes.append((uuid.uuid4(), cid, before, after, "", at))
            elif status == "outpatient":
                changes.append(
                    (
                        uuid.uuid4(),
                        cid,
                        "escalated",
                        "outpatient",
                        "",
                        now - timedelta(days=rng.uniform(0, 90)),
                    )
                )
            if rng.random() < 0.02 and status not in ("recovered", "lost_contact", "dropped_out"):
                cases.append(
                    Escalation(
                        client_id=cid, need="counseling", status="accepted", facility=rng.choice(facilities)
                    )
                )
            clients.append(
                (
                    cid,
                    f"BEN-2026-{i:06d}",
                    f"Klien {i}",
                    f"klien {i}",
                    "male" if i % 2 else "female",
                    1970 + i % 35,
                    "",
                    village,
                    "",
                    "[]",
                    "",
                    status,
                    registrar.id,
                    last,
                    False,
                    1,
                    created,
                    created,
                    "",
                )
            )
        copy_rows(
            "recovery_client",
            "id code name name_normalized sex birth_year phone village_id address substances notes status registered_by_id last_contact_at phone_flagged version created_at updated_at use_route".split(),
            clients,
        )
        copy_rows("recovery_client_assigned_volunteers", ["client_id", "user_id"], assigned)
        copy_rows(
            "recovery_visit",
            "id client_id logged_by_id occurred_at received_at type participants outcome notes next_visit_on payload_hash version updated_at".split(),
            visits,
        )
        copy_rows(
            "recovery_contactattempt",
            "id client_id logged_by_id occurred_at received_at channel result note payload_hash".split(),
            attempts,
        )
        copy_rows(
            "recovery_consent",
            "id client_id scope given given_by recorded_by_id recorded_at note".split(),
            consents,
        )
        copy_rows(
            "recovery_familymember",
            "id name relationship phone role may_contact village_id created_by_id version created_at updated_at".split(),
            members,
        )
        copy_rows("recovery_clientfamilylink", "id client_id member_id linked_at linked_by_id".split(), links)
        copy_rows(
            "recovery_clientstatuschange", "id client_id from_status to_status reason at".split(), changes
        )
        Escalation.objects.bulk_create(cases, batch_size=2000)
        # last_contact_at as recovery keeps it: the latest visit or reached attempt.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE recovery_client c SET last_contact_at = GREATEST(c.last_contact_at, a.latest) FROM "
                "(SELECT client_id, max(occurred_at) AS latest FROM recovery_contactattempt WHERE result = 'reached' "
                "GROUP BY client_id) a WHERE c.id = a.client_id"
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"loaded: {len(clients):,} clients, {len(visits):,} visits, {len(attempts):,} attempts, {len(users):,} users, {len(villages):,} villages",
        flush=True,
    )


class Queries:
    """Counts the SQL statements run inside a `with connection.execute_wrapper(q)` block."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.n += 1
        return execute(sql, params, many, context)


def rolled_back(fn):  # type: ignore[no-untyped-def]
    """Run `fn(measure)` in a transaction that is rolled back; `measure(g)` times g() and counts its queries."""
    from django.db import connection, transaction

    out: list[tuple[float, int, dict]] = []  # type: ignore[type-arg]

    def measure(g):  # type: ignore[no-untyped-def]
        q = Queries()
        with connection.execute_wrapper(q):
            start = time.perf_counter()
            result = g()
            out.append(((time.perf_counter() - start) * 1000, q.n, result))
        return result

    with transaction.atomic():
        fn(measure)
        transaction.set_rollback(True)
    return out


def analyze() -> None:
    """What autovacuum does between two days (in one rolled-back transaction it cannot): the planner learns of
    the day's 50,000 follow-up states and thousands of tasks, or it plans the next day for empty tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE followup_followupstate, escalations_task, notifications_notification, sync_changelog"
        )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def naive_evaluate(client_ids: list[uuid.UUID]) -> int:
    """The obvious loop: per client, one query per fact, then the same rules."""
    from django.utils import timezone

    from backend.followup.rules import Facts, evaluate, rules_for
    from backend.recovery.models import Client, ClientStatusChange, Consent, ContactAttempt, Visit
    from backend.tasks.models import Task
    from villages.calendar import local_date

    n = 0
    now = timezone.now()
    for client in Client.objects.filter(id__in=client_ids).select_related("village"):
        consent = (
            Consent.objects.filter(client=client, scope="data_collection").order_by("-recorded_at").first()
        )
        latest = Visit.objects.filter(client=client).order_by("-occurred_at").first()
        attempts = list(
            ContactAttempt.objects.filter(
                client=client, occurred_at__gt=client.last_contact_at or client.created_at
            ).order_by("occurred_at")
        )
        row = 0
        for a in attempts:
            row = row + 1 if a.result in ("no_answer", "wrong_number") else 0
        since = (
            ClientStatusChange.objects.filter(client=client, to_status="outpatient").order_by("-at").first()
        )
        handover = Task.objects.filter(client=client, kind="client_handover", status="open").exists()
        f = Facts(
            client_id=client.id,
            code=client.code,
            village_id=client.village_id,
            tz=client.village.timezone,
            status=client.status,
            created_at=client.created_at,
            last_contact_at=client.last_contact_at,
            consent=bool(consent and consent.given),
            next_visit_on=latest.next_visit_on if latest else None,
            failed_in_row=row,
            outpatient_since=since.at if since else None,
            handover_open=handover,
        )
        evaluate(f, local_date(instant=now, tz=f.tz), rules_for(area_code=f.village_id[:5]))
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rebuild", action="store_true", help=f"drop {BENCH_DB} and load it again")
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (default 5)")
    args = parser.parse_args()

    import django

    django.setup()
    use_bench_database(args.rebuild)
    from django.core.management import call_command
    from django.utils import timezone

    from backend.followup.facts import facts_load
    from backend.followup.rules import FOLLOWED, evaluate, rules_for
    from backend.followup.sweep import followup_sweep
    from backend.recovery.models import Client
    from villages.calendar import local_date

    call_command("migrate", verbosity=0)
    if not Client.objects.exists():
        print(f"loading the synthetic province into {BENCH_DB} (a few minutes) ...", flush=True)
        load(random.Random(SEED), args.clients)
    elif Client.objects.count() != args.clients:
        sys.exit(f"{BENCH_DB} holds {Client.objects.count():,} clients, not {args.clients:,}: use --rebuild")
    areas = sorted({code[:5] for code in Client.objects.values_list("village_id", flat=True).distinct()})
    print(f"{Client.objects.count():,} clients in {len(areas)} regencies; runs: {args.runs}", flush=True)

    rows: list[tuple[str, list[float], list[int], dict]] = []  # type: ignore[type-arg]

    def record(name: str, samples: list[tuple[float, int, dict]]) -> None:  # type: ignore[type-arg]
        rows.append((name, [s[0] for s in samples], [s[1] for s in samples], samples[-1][2]))

    def evaluate_all() -> dict:  # type: ignore[type-arg]
        steps: Counter[str] = Counter()
        now = timezone.now()
        for area in areas:
            rules = rules_for(area_code=area)
            for f in facts_load(area_code=area):
                steps[evaluate(f, local_date(instant=now, tz=f.tz), rules).step] += 1
        return dict(steps)

    tomorrow = timezone.now() + timedelta(days=1)
    first, rerun, next_day, evaluation = [], [], [], []
    for run in range(args.runs):
        samples = rolled_back(lambda m: (m(followup_sweep), m(followup_sweep)))
        first.append(samples[0])
        rerun.append(samples[1])
        next_day += rolled_back(
            lambda m: (followup_sweep(), analyze(), m(lambda: followup_sweep(now=tomorrow)))
        )
        evaluation += rolled_back(lambda m: m(evaluate_all))
        print(f"  run {run + 1}: first {samples[0][0]:.0f} ms, rerun {samples[1][0]:.0f} ms", flush=True)

    record("first run of a day (backlog of episodes)", first)
    record("rerun the same day", rerun)
    record("next day after a first run", next_day)
    record("evaluation alone (facts query + rules)", evaluation)
    followed_ids = Client.objects.filter(status__in=FOLLOWED)
    sample = list(followed_ids.order_by("?").values_list("id", flat=True)[:1000])
    naive = rolled_back(lambda m: [m(lambda: naive_evaluate(sample)) for _ in range(max(1, args.runs // 2))])
    scale = followed_ids.count() / len(sample)
    rows.append(
        (
            "naive evaluation, per-client queries (est.)",
            [t * scale for t, _q, _r in naive],
            [int(q * scale) for _t, q, _r in naive],
            {},
        )
    )

    print(f"\n{'measure':<46} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8}  what it did")
    for name, times, queries, result in rows:
        did = ", ".join(f"{k}={v}" for k, v in sorted(result.items()) if v) if result else ""
        print(
            f"{name:<46} {statistics.median(times):>9.0f} {pct(times, 95):>9.0f} {int(statistics.median(queries)):>8}  {did}"
        )
    eval_p50 = statistics.median(rows[3][1])
    print(
        f"\nevaluation: {statistics.median(rows[4][1]) / eval_p50:.0f}x faster than the naive per-client loop (est.)"
    )
    print(json.dumps({"clients": args.clients, "regencies": len(areas)}))


if __name__ == "__main__":
    main()
