"""Phases 2-4: facilities placed at villages, certified staff at facilities, field users in villages.

- Puskesmas: one in a village of each district first (Indonesia has ~7,200 districts and ~10,000 puskesmas),
  the rest in random villages; other facilities (RSUD, RSJ, BNN clinics, IPWL, foundations) in random villages.
  A facility's location is its village's point moved by up to ~1 km.
- Staff: a counselor (65%) or assessor role at a facility (a puskesmas holds fewer than a hospital), a
  certificate of that kind (80% valid, 5% expiring within 30 days, 12% expired, 3% revoked; 15% also hold the
  other kind), leave (5% on leave today, 3% from a later day, 2% back already), caps of 10-20 cases.
- Field users: the programme runs in one village per village official (25% of field users); three volunteers
  per official, in the same villages; a coordinator per regency and per province.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.db import connection

from datasets.national.copying import NULL, copy_lines, text
from datasets.national.plan import PASSWORD, Plan, Village, epoch, ts, uid, villages

OTHER_TYPES = [("rsud", 0.35), ("rsj", 0.05), ("klinik_bnn", 0.2), ("ipwl", 0.25), ("yayasan", 0.15)]
USER_COLUMNS = (
    "id password is_superuser phone name language is_active is_staff created_at "
    "on_leave_from on_leave_until caseload_cap"
).split()
ROLE_COLUMNS = "id user_id role region_id facility_id active created_at".split()


def facilities(plan: Plan, progress) -> int:  # type: ignore[no-untyped-def]
    rng = plan.rng("facilities")
    places = villages(plan)
    by_district: dict[str, list[Village]] = {}
    for v in places:
        by_district.setdefault(v.district, []).append(v)
    n_pkm, n_other = plan.size("puskesmas"), plan.size("other_facilities")
    districts = sorted(by_district)
    rng.shuffle(districts)
    pkm_sites = [rng.choice(by_district[d]) for d in districts[:n_pkm]]
    pkm_sites += [rng.choice(places) for _ in range(n_pkm - len(pkm_sites))]
    types = [t for t, _w in OTHER_TYPES]
    weights = [w for _t, w in OTHER_TYPES]
    sites = [(v, "puskesmas") for v in pkm_sites] + [
        (rng.choice(places), rng.choices(types, weights)[0]) for _ in range(n_other)
    ]
    labels = {
        "puskesmas": "Puskesmas",
        "rsud": "RSUD",
        "rsj": "RSJ",
        "klinik_bnn": "Klinik Pratama BNN",
        "ipwl": "IPWL",
        "yayasan": "Yayasan Rehabilitasi",
    }

    def lines():  # type: ignore[no-untyped-def]
        for i, (v, kind) in enumerate(sites, 1):
            ipwl = kind in ("rsj", "klinik_bnn", "ipwl") or (kind == "rsud" and rng.random() < 0.5)
            lon, lat = v.lon + rng.uniform(-0.01, 0.01), v.lat + rng.uniform(-0.01, 0.01)
            beds = rng.choice([0, 0, 10, 20, 50]) if kind != "puskesmas" else 0
            # An IPWL's decree (open-ended validity); the working area stays empty: a puskesmas then serves
            # its own kecamatan (villages.Facility.working_area), the other facilities have none.
            decree = f"HK.01.07/MENKES/{i:05d}/SYN" if ipwl else ""
            yield (
                f"{uid(rng)}\tSYN-{kind.upper()[:3]}-{i:06d}\t{text(labels[kind] + ' ' + v.name)[:200]}\t{kind}\t"
                f"{'t' if ipwl else 'f'}\t{decree}\t{{}}\t{v.code}\t\t\tSRID=4326;POINT({lon:.6f} {lat:.6f})\t{beds}\t"
                f"{rng.choice([30, 60, 100, 200])}\tt\n"
            )

    return copy_lines(
        "villages_facility",
        "id code name type is_ipwl ipwl_decree_number working_area village_id address phone location inpatient_beds "
        "outpatient_capacity_per_month active".split(),
        lines(),
        progress,
    )


def _password_hash() -> str:
    return make_password(PASSWORD)


def staff(plan: Plan, progress) -> int:  # type: ignore[no-untyped-def]
    rng = plan.rng("staff")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id::text, type FROM villages_facility WHERE code LIKE 'SYN-%%' ORDER BY code")
        sites = cursor.fetchall()
    cumulative = list(accumulate(1.0 if kind == "puskesmas" else 2.5 for _id, kind in sites))
    password, today, now = _password_hash(), plan.today, epoch(plan.now)
    users, roles, certs = [], [], []
    for i in range(plan.size("staff")):
        user = uid(rng)
        facility = rng.choices(sites, cum_weights=cumulative)[0][0]
        kind = "counselor" if rng.random() < 0.65 else "assessor"
        kinds = [kind] + (
            [("assessor" if kind == "counselor" else "counselor")] if rng.random() < 0.15 else []
        )
        leave_from = leave_until = NULL
        r = rng.random()
        if r < 0.05:
            leave_from, leave_until = (
                today - timedelta(days=rng.randint(0, 10)),
                today + timedelta(days=rng.randint(1, 14)),
            )
        elif r < 0.08:
            leave_from = today + timedelta(days=rng.randint(1, 30))
            leave_until = leave_from + timedelta(days=rng.randint(3, 14))
        elif r < 0.10:
            leave_until = today - timedelta(days=rng.randint(1, 60))
            leave_from = leave_until - timedelta(days=rng.randint(3, 14))
        created = now - rng.uniform(30, 900) * 86400
        users.append(
            f"{user}\t{password}\tf\t+62851{i:08d}\tStaf Sintetis {i}\tid\tt\tf\t{ts(created)}\t"
            f"{leave_from}\t{leave_until}\t{rng.choice([10, 15, 15, 15, 20])}\n"
        )
        for k in kinds:
            roles.append(f"{uid(rng)}\t{user}\t{k}\t{NULL}\t{facility}\tt\t{ts(created)}\n")
            r = rng.random()
            if r < 0.80:
                expires = today + timedelta(days=rng.randint(31, 3 * 365))
            elif r < 0.85:
                expires = today + timedelta(days=rng.randint(0, 30))
            else:
                expires = today - timedelta(days=rng.randint(1, 2 * 365))
            issued = expires - timedelta(days=3 * 365)
            revoked = "t" if r >= 0.97 else "f"
            issuer = "BNN RI" if k == "assessor" else "Kementerian Kesehatan RI"
            certs.append(
                f"{uid(rng)}\t{user}\t{k}\tSYN/{k[:1].upper()}/{len(certs):07d}\t{issuer}\t{issued}\t{expires}\t{revoked}\n"
            )
    n = copy_lines("accounts_user", USER_COLUMNS, users, progress)
    n += copy_lines("accounts_roleassignment", ROLE_COLUMNS, roles, progress)
    return n + copy_lines(
        "accounts_certification",
        "id user_id kind number issuer issued_on expires_on revoked".split(),
        certs,
        progress,
    )


def field(plan: Plan, progress) -> int:  # type: ignore[no-untyped-def]
    """Village officials (one per programme village), volunteers (three per official), coordinators."""
    rng = plan.rng("field")
    places = villages(plan)
    total = plan.size("field_users")
    n_officials = max(1, min(len(places), total // 4))
    programme = rng.sample(places, n_officials)
    programme.sort(key=lambda v: v.code)
    n_volunteers = max(1, total - n_officials)
    password, now = _password_hash(), epoch(plan.now)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code FROM villages_region WHERE level IN ('province', 'regency') ORDER BY code"
        )
        areas = [r[0] for r in cursor.fetchall() if not plan.provinces or r[0][:2] in plan.provinces]
    posts = [(v.code, "village_official") for v in programme]
    posts += [(programme[i % len(programme)].code, "volunteer") for i in range(n_volunteers)]
    posts += [(code, "coordinator") for code in areas]
    users, roles = [], []
    for i, (region, role) in enumerate(posts):
        user, created = uid(rng), now - rng.uniform(400, 730) * 86400
        label = {"village_official": "Aparatur", "volunteer": "Kader", "coordinator": "Koordinator"}[role]
        users.append(
            f"{user}\t{password}\tf\t+62852{i:08d}\t{label} Sintetis {i}\tid\tt\tf\t{ts(created)}\t{NULL}\t{NULL}\t15\n"
        )
        roles.append(f"{uid(rng)}\t{user}\t{role}\t{region}\t{NULL}\tt\t{ts(created)}\n")
    n = copy_lines("accounts_user", USER_COLUMNS, users, progress)
    return n + copy_lines("accounts_roleassignment", ROLE_COLUMNS, roles, progress)
