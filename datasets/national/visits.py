"""Phase 6: visits and contact attempts, streamed into COPY (ten million visits never sit in memory).

Each client gets a visit at the moment the clients phase fixed as their last contact, one with each screening
(linked, at the screening's time), and the rest of the visits the plan calls for spread over their time in the
programme (a client in treatment or post-rehab is visited half as often again). Types as field work has them
(home visits over half, phone calls a fifth); a visit at the client's home carries a point near the village's.
The latest visit plans the next one for a third of the clients. Contact attempts: about one for every eight
visits, before the last contact (a reached one never later than it), and for 10% of active clients one to four
unanswered ones since.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import accumulate

from django.db import connection

from datasets.national.copying import NULL, bare_table, copy_lines
from datasets.national.plan import Plan, day_of, epoch, ts, uid, villages
from datasets.national.records import ATTEMPT_RESULTS, DAY, ENDED, VISIT_TYPES

VISIT_COLUMNS = (
    "id client_id logged_by_id occurred_at received_at type participants location location_accuracy_m outcome "
    "notes next_visit_on screening_id payload_hash version updated_at"
).split()
ATTEMPT_COLUMNS = "id client_id logged_by_id occurred_at received_at channel result note payload_hash".split()
PLACED = {"home_visit", "family_session", "accompaniment", "post_rehab_support"}


def _clients(plan: Plan) -> list[tuple[str, str, float, str, float, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id::text, village_id, extract(epoch FROM created_at)::float8, status, "
            "extract(epoch FROM last_contact_at)::float8, registered_by_id::text FROM recovery_client "
            "WHERE code LIKE 'SYN%%' ORDER BY code"
        )
        return cursor.fetchall()


def _screenings() -> dict[str, list[tuple[str, str, float]]]:
    out: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.client_id::text, s.id::text, s.screened_by_id::text, extract(epoch FROM s.screened_at)::float8 "
            "FROM recovery_screening s JOIN recovery_client c ON c.id = s.client_id WHERE c.code LIKE 'SYN%%' "
            "ORDER BY s.client_id, s.screened_at, s.id"
        )
        for client, sid, by, at in cursor.fetchall():
            out[client].append((sid, by, at))
    return out


def visits(plan: Plan, progress) -> int:  # type: ignore[no-untyped-def]
    rng = plan.rng("visits")
    points = {v.code: (v.lon, v.lat) for v in villages(plan)}
    rows = _clients(plan)
    screenings = _screenings()
    n_screenings = sum(len(s) for s in screenings.values())
    extra = max(0, plan.size("visits") - n_screenings - len(rows))
    weights = [
        max(1.0, (last - created) / DAY)
        * (1.5 if status in ("outpatient", "methadone", "post_rehab") else 1.0)
        for _id, _v, created, status, last, _r in rows
    ]
    per_weight = extra / (sum(weights) or 1)
    types, type_weights = [t for t, _w in VISIT_TYPES], list(accumulate(w for _t, w in VISIT_TYPES))
    results, result_weights = (
        [r for r, _w in ATTEMPT_RESULTS],
        list(accumulate(w for _r, w in ATTEMPT_RESULTS)),
    )
    now = epoch(plan.now)
    attempts: list[str] = []

    def visit(cid: str, by: str, at: float, kind: str, village: str, plan_next: bool, screening: str) -> str:
        location = accuracy = NULL
        if kind in PLACED:
            lon, lat = points[village]
            location = f"SRID=4326;POINT({lon + rng.uniform(-0.005, 0.005):.6f} {lat + rng.uniform(-0.005, 0.005):.6f})"
            accuracy = f"{rng.uniform(4, 40):.1f}"
        received = ts(min(now, at + rng.uniform(60, 2 * DAY)))
        next_on = day_of(at + 14 * DAY) if plan_next else NULL
        return (
            f'{uid(rng)}\t{cid}\t{by}\t{ts(at)}\t{received}\t{kind}\t["client"]\t{location}\t{accuracy}\t\t\t'
            f"{next_on}\t{screening}\t\t1\t{received}\n"
        )

    def lines():  # type: ignore[no-untyped-def]
        for (cid, village, created, status, last, registrar), weight in zip(rows, weights, strict=True):
            share = weight * per_weight
            k = int(share) + (rng.random() < share - int(share))
            after_rehab = status in ("post_rehab", "recovered")
            for _ in range(k):
                kind = rng.choices(types, cum_weights=type_weights)[0]
                if kind == "post_rehab_support" and not after_rehab:
                    kind = "home_visit"
                yield visit(cid, registrar, rng.uniform(created, last), kind, village, False, NULL)
            for sid, by, at in screenings.get(cid, ()):
                yield visit(cid, by, min(at, last), "home_visit", village, False, sid)
            yield visit(cid, registrar, last, "home_visit", village, rng.random() < 0.33, NULL)
            # Contact attempts, kept aside for their own COPY.
            for _ in range(int(k / 8 + rng.random())):
                result = rng.choices(results, cum_weights=result_weights)[0]
                at = rng.uniform(created, last)
                attempts.append(
                    f"{uid(rng)}\t{cid}\t{registrar}\t{ts(at)}\t{ts(min(now, at + 3600))}\tphone_call\t{result}\t\t"
                    f"{rng.getrandbits(256):064x}\n"
                )
            if status not in ENDED and rng.random() < 0.1:
                for j in range(rng.randint(1, 4)):
                    at = min(now - 60, last + (6 + j * 30) * 3600)
                    if at > last:
                        attempts.append(
                            f"{uid(rng)}\t{cid}\t{registrar}\t{ts(at)}\t{ts(at)}\tphone_call\tno_answer\t\t"
                            f"{rng.getrandbits(256):064x}\n"
                        )

    with bare_table("recovery_visit"):
        n = copy_lines("recovery_visit", VISIT_COLUMNS, lines(), progress)
    with bare_table("recovery_contactattempt"):
        n += copy_lines("recovery_contactattempt", ATTEMPT_COLUMNS, attempts, progress)
    return n
