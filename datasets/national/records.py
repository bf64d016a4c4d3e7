"""Phases 5-6: clients (with their status history, consents, family, screenings) and their visits and contact
attempts.

Clients live in the programme's villages (those with a village official), more in some than others (a village's
weight is log-normal, so a few villages hold hundreds of clients), registered over two years (more lately).
Statuses as a programme two years in holds them (two thirds in community recovery); each status is reached
through a path the lifecycle allows (backend/recovery/lifecycle.py), one status change per step. Every client
gave data-collection consent at registration (1% withdrew later), 40% consent to contacting family (with a
family member), 60% to a referral at registration (the others when escalated). Everyone past "identified" was screened (ASSIST answers scored by
the app's own `assist_score`), 20% twice.

The last contact is fixed here (85% of active clients within 9 days, 8% 10-13, 5% 14-29, 2% 30-60 days ago;
exits shortly before they left), and the visits phase puts each client's latest visit at exactly that instant,
so `last_contact_at` is right without an UPDATE of a million rows.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import UTC, datetime
from itertools import accumulate

from django.db import connection

from backend.recovery.assist import SCALES, SUBSTANCES, assist_score, questions_for
from backend.recovery.nik import nik_hash
from backend.recovery.screenings import answers_digest
from datasets.national.copying import NULL, bare_table, copy_lines
from datasets.national.plan import CODE_PREFIX, Plan, contact_gap_days, epoch, ts, uid, villages

STATUSES = [
    ("community_recovery", 0.62),
    ("screened", 0.08),
    ("identified", 0.05),
    ("escalated", 0.04),
    ("outpatient", 0.04),
    ("methadone", 0.02),
    ("post_rehab", 0.04),
    ("inpatient", 0.02),
    ("recovered", 0.03),
    ("lost_contact", 0.03),
    ("dropped_out", 0.02),
    ("moved", 0.005),
    ("deceased", 0.005),
]
PATHS = {
    "identified": [],
    "screened": ["screened"],
    "community_recovery": ["screened", "community_recovery"],
    "escalated": ["screened", "escalated"],
    "outpatient": ["screened", "escalated", "outpatient"],
    "inpatient": ["screened", "escalated", "inpatient"],
    "methadone": ["screened", "escalated", "methadone"],
    "post_rehab": ["screened", "escalated", "inpatient", "post_rehab"],
    "recovered": ["screened", "escalated", "outpatient", "post_rehab", "recovered"],
    "lost_contact": ["screened", "community_recovery", "lost_contact"],
    "dropped_out": ["screened", "escalated", "outpatient", "dropped_out"],
    "moved": ["screened", "community_recovery", "moved"],
    "deceased": ["screened", "community_recovery", "deceased"],
}
ENDED = {"recovered", "lost_contact", "dropped_out", "moved", "deceased"}
DRUGS = [
    ("amphetamines", 0.45),
    ("cannabis", 0.25),
    ("alcohol", 0.12),
    ("opioids", 0.06),
    ("sedatives", 0.05),
    ("inhalants", 0.04),
    ("other", 0.03),
]
ROUTES = ["smoked", "smoked", "smoked", "oral", "inhaled", "injected", "sniffed"]
VISIT_TYPES = [
    ("home_visit", 0.55),
    ("phone_call", 0.2),
    ("family_session", 0.08),
    ("group_session", 0.07),
    ("accompaniment", 0.05),
    ("post_rehab_support", 0.05),
]
ATTEMPT_RESULTS = [
    ("reached", 0.55),
    ("no_answer", 0.3),
    ("wrong_number", 0.06),
    ("refused", 0.04),
    ("moved_away", 0.02),
    ("in_hospital", 0.02),
    ("in_prison", 0.01),
]
DAY = 86400.0


def _screening_templates(rng, n: int = 60) -> dict[str, list[tuple[str, str, str, str, str, str, str]]]:  # type: ignore[no-untyped-def]
    """ASSIST answer sets scored by the app, grouped by the highest risk (answers, scores, risk, action, q8,
    injected_recently, needs_escalation, hash)."""
    out: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    drugs, weights = [d for d, _w in DRUGS], [w for _d, w in DRUGS]
    for _ in range(n):
        used = set(rng.choices(drugs, weights, k=rng.randint(1, 3))) | (
            {"tobacco"} if rng.random() < 0.7 else set()
        )
        answers: dict[str, dict] = {}  # type: ignore[type-arg]
        for s in SUBSTANCES:
            if s not in used:
                answers[s] = {"q1": False}
                continue
            level = rng.random()
            q2 = sorted(SCALES["q2"])[min(4, int(level * 6))]
            answers[s] = {"q1": True}
            for q in questions_for(s, True, q2):
                scale = sorted(SCALES[q])
                answers[s][q] = q2 if q == "q2" else scale[min(len(scale) - 1, int(level * len(scale) * 1.2))]
        q8 = rng.choices([0, 1, 2], [0.9, 0.07, 0.03])[0]
        result = assist_score(answers, q8)
        out[result.highest_risk].append(
            (
                json.dumps(answers),
                json.dumps(result.scores_json()),
                result.highest_risk,
                result.action,
                str(q8),
                "t" if result.injected_recently else "f",
                "t" if result.needs_escalation else "f",
                answers_digest(answers=answers, q8=q8),
            )
        )
    return out


def field_users(plan: Plan) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Volunteers per programme village, and its official, in a fixed order."""
    volunteers: dict[str, list[str]] = defaultdict(list)
    officials: dict[str, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ra.region_id, ra.user_id::text, ra.role FROM accounts_roleassignment ra "
            "JOIN accounts_user u ON u.id = ra.user_id WHERE u.phone LIKE '+62852%%' "
            "AND ra.role IN ('volunteer', 'village_official') ORDER BY ra.region_id, u.phone"
        )
        for region, user, role in cursor.fetchall():
            if role == "volunteer":
                volunteers[region].append(user)
            else:
                officials[region] = user
    return volunteers, officials


def clients(plan: Plan, progress) -> int:  # type: ignore[no-untyped-def]
    rng = plan.rng("clients")
    volunteers, _officials = field_users(plan)
    places = [v for v in villages(plan) if v.code in volunteers]
    weights = [rng.lognormvariate(0, 1.1) for _ in places]
    templates = _screening_templates(rng)
    low = templates["low"] + templates["moderate"] or templates["high"]
    high = templates["high"] or low
    statuses, shares = [s for s, _w in STATUSES], list(accumulate(w for _s, w in STATUSES))
    drugs, drug_weights = [d for d, _w in DRUGS], [w for _d, w in DRUGS]
    now, start = epoch(plan.now), epoch(plan.start)
    counters: dict[tuple[str, int], int] = defaultdict(int)
    niks: set[str] = set()
    out: dict[str, list[str]] = defaultdict(list)
    n = plan.size("clients")
    chosen = rng.choices(places, weights, k=n)
    for i, village in enumerate(chosen):
        cid = uid(rng)
        registrar = rng.choice(volunteers[village.code])
        created = now - (now - start) * (1 - math.sqrt(rng.random())) - DAY  # more clients lately
        status = rng.choices(statuses, cum_weights=shares)[0]
        if status == "escalated" and created > now - 35 * DAY:
            status = "community_recovery"
        path = PATHS[status]
        # Times of the steps: spread over the client's time; an open case (escalated) is recent.
        span_end = now - rng.uniform(1, 30) * DAY if status == "escalated" else now - DAY
        times = sorted(rng.uniform(created, span_end) for _ in path)
        if status == "escalated" and times:
            times[-1] = span_end
        if status in ENDED:
            last = max(created, times[-1] - rng.uniform(0, 30) * DAY)
        else:
            last = max(created + 60, now - contact_gap_days(rng) * DAY)
        year = datetime.fromtimestamp(created, UTC).year
        prefix = f"{CODE_PREFIX}{village.regency.replace('.', '')}"
        counters[(prefix, year)] += 1
        code = f"{prefix}-{year}-{counters[(prefix, year)]:06d}"
        sex = "male" if rng.random() < 0.88 else "female"
        birth_year = rng.randint(1970, 2008)
        nik = birth_date = NULL
        if rng.random() < 0.6:
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            digits = (
                f"{village.code[0:2]}{village.code[3:5]}{village.code[6:8]}{day + (40 if sex == 'female' else 0):02d}"
                f"{month:02d}{birth_year % 100:02d}{rng.randint(1, 9999):04d}"
            )
            if digits not in niks:
                niks.add(digits)
                nik, birth_date = nik_hash(digits), f"{birth_year}-{month:02d}-{day:02d}"
        used = sorted(set(rng.choices(drugs, drug_weights, k=rng.randint(1, 2))))
        withdrawn = NULL
        consent_at = ts(created)
        out["consent"].append(f"{uid(rng)}\t{cid}\tdata_collection\tt\tclient\t{registrar}\t{consent_at}\t\n")
        if rng.random() < 0.01:
            withdrawn = ts(rng.uniform(created, now))
            out["consent"].append(
                f"{uid(rng)}\t{cid}\tdata_collection\tf\tclient\t{registrar}\t{withdrawn}\t\n"
            )
        referral = rng.random() < 0.6  # consent to a referral given at registration already
        if referral:
            out["consent"].append(f"{uid(rng)}\t{cid}\treferral\tt\tclient\t{registrar}\t{consent_at}\t\n")
        if rng.random() < 0.4:
            member = uid(rng)
            out["consent"].append(
                f"{uid(rng)}\t{cid}\tcontact_family\tt\tclient\t{registrar}\t{consent_at}\t\n"
            )
            out["member"].append(
                f"{member}\tKeluarga Sintetis {i}\t{rng.choice(['ibu', 'ayah', 'istri', 'suami', 'kakak'])}\t\t"
                f"supporter\tt\t{village.code}\t{registrar}\t1\t{consent_at}\t{consent_at}\n"
            )
            out["link"].append(f"{uid(rng)}\t{cid}\t{member}\t{consent_at}\t{registrar}\n")
        before = "identified"
        for step, at in zip(path, times, strict=True):
            out["change"].append(f"{uid(rng)}\t{cid}\t{before}\t{step}\t\t{registrar}\t{ts(at)}\n")
            if step == "screened":
                template = rng.choice(high if "escalated" in path else low)
                out["screening"].append(_screening(rng, cid, registrar, at, template))
                if status == "community_recovery" and rng.random() < 0.2:
                    out["screening"].append(
                        _screening(rng, cid, registrar, rng.uniform(at, now - DAY), rng.choice(low))
                    )
            if step == "escalated" and not referral:
                out["consent"].append(f"{uid(rng)}\t{cid}\treferral\tt\tclient\t{registrar}\t{ts(at)}\t\n")
            before = step
        if rng.random() < 0.85:
            out["assigned"].append(f"{cid}\t{registrar}\n")
        out["client"].append(
            f"{cid}\t{code}\tKlien Sintetis {i}\tklien sintetis {i}\t{sex}\t{birth_date}\t{birth_year}\t\t"
            f"{village.code}\t\t{json.dumps(used)}\t{rng.randint(1, 12)}\t{rng.choice(ROUTES)}\t\t{nik}\t{status}\t"
            f"{registrar}\t{ts(last)}\tf\t{withdrawn}\t1\t{ts(created)}\t{ts(max(times + [created]))}\n"
        )
    columns = {
        "recovery_client": (
            "client",
            "id code name name_normalized sex birth_date birth_year phone village_id address substances "
            "use_duration_years use_route notes nik_hash status registered_by_id last_contact_at phone_flagged "
            "consent_withdrawn_at version created_at updated_at",
        ),
        "recovery_client_assigned_volunteers": ("assigned", "client_id user_id"),
        "recovery_familymember": (
            "member",
            "id name relationship phone role may_contact village_id created_by_id version created_at updated_at",
        ),
        "recovery_clientfamilylink": ("link", "id client_id member_id linked_at linked_by_id"),
        "recovery_consent": ("consent", "id client_id scope given given_by recorded_by_id recorded_at note"),
        "recovery_clientstatuschange": ("change", "id client_id from_status to_status reason actor_id at"),
        "recovery_screening": (
            "screening",
            "id client_id screened_by_id screened_at answers scores highest_risk action q8 injected_recently "
            "needs_escalation escalation_blocked_reason answers_hash created_at",
        ),
    }
    total = 0
    for table, (key, names) in columns.items():
        with bare_table(table):
            total += copy_lines(table, names.split(), out.pop(key), progress)
    return total


def _screening(rng, client: str, by: str, at: float, template: tuple) -> str:  # type: ignore[no-untyped-def, type-arg]
    answers, scores, risk, action, q8, injected, needs, digest = template
    blocked = ""
    return (
        f"{uid(rng)}\t{client}\t{by}\t{ts(at)}\t{answers.replace(chr(92), chr(92) * 2)}\t{scores}\t{risk}\t{action}\t"
        f"{q8}\t{injected}\t{needs}\t{blocked}\t{digest}\t{ts(at)}\n"
    )
