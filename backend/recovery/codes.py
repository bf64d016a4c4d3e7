"""Readable client codes, unique per regency: `<regency abbreviation>-<year>-<5 digits>`, e.g. KTG-2026-00042.

The abbreviation is the one BNN's regency offices use where we know it, otherwise three letters made from the
regency's name (first letter, then consonants). The counter is keyed by (abbreviation, year), not by regency, so
two regencies that happen to share an abbreviation share a counter and can never produce the same code.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from villages.models import Region

# Abbreviations in use for the demo regencies (plates and BNNK documents); others are derived.
KNOWN_ABBREVIATIONS = {
    "62.06": "KTG",  # Kabupaten Katingan
    "62.13": "BTM",  # Kabupaten Barito Timur
    "11.73": "LSM",  # Kota Lhokseumawe (Aceh code)
    "14.71": "PKU",  # Kota Pekanbaru
    "52.71": "MTR",  # Kota Mataram
}
_PREFIXES = re.compile(r"^(kabupaten|kab\.?|kota|kota administrasi|kabupaten administrasi)\s+", re.I)


def regency_abbreviation(regency: Region) -> str:
    """Three capital letters for a regency/city: the known one, or derived from its name."""
    if regency.code in KNOWN_ABBREVIATIONS:
        return KNOWN_ABBREVIATIONS[regency.code]
    name = _PREFIXES.sub("", regency.name).upper()
    letters = re.sub(r"[^A-Z ]", "", name)
    words = letters.split()
    if len(words) >= 3:
        abbr = "".join(w[0] for w in words[:3])
    elif len(words) == 2:
        consonants = [c for c in words[0][1:] if c not in "AEIOU"]
        abbr = words[0][0] + (consonants[0] if consonants else words[0][1:2]) + words[1][0]
    else:
        word = words[0] if words else "XXX"
        consonants = [c for c in word[1:] if c not in "AEIOU"]
        abbr = word[0] + "".join(consonants[:2])
    return (abbr + "XXX")[:3]


def village_today(village: Region) -> date:
    """Today's date where the village is (WIB, WITA or WIT): a code's year and a minor's age use it."""
    return timezone.localdate(timezone=ZoneInfo(village.timezone))


def regency_of(village: Region) -> Region:
    """The regency/city a village lies in (the code's first two parts)."""
    code = ".".join(village.code.split(".")[:2])
    return Region.objects.get(code=code)


def client_code_next(*, village: Region, year: int) -> str:
    """The next code for a client of `village` registered in `year`; one atomic upsert, never a duplicate."""
    prefix = regency_abbreviation(regency_of(village))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO recovery_clientcodecounter (prefix, year, last_number) VALUES (%s, %s, 1)
            ON CONFLICT (prefix, year) DO UPDATE SET last_number = recovery_clientcodecounter.last_number + 1
            RETURNING last_number
            """,
            [prefix, year],
        )
        number = cursor.fetchone()[0]
    return f"{prefix}-{year}-{number:05d}"
