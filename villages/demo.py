"""The demo geography: the five demo regencies/cities with every district and village, and their facilities.

Loaded by `manage.py load_demo` from the CSVs committed under fixtures/ (built by fixtures/build_demo_regions.py;
sources and licences in fixtures/README.md). Idempotent: a second run updates the same rows in place.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings

from villages.services import facilities_import, regions_import
from villages.sources import read_region_csv

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
DEMO_REGIONS_CSV = FIXTURES_DIR / "demo_regions.csv"
DEMO_FACILITIES_CSV = FIXTURES_DIR / "facilities_demo.csv"


class DemoDataError(RuntimeError):
    """The committed fixtures have rows the importer rejects: a bug in the fixtures, never ignored."""


def load_demo_geography() -> tuple[int, int]:
    """Upserts the demo regions and facilities; returns (regions, facilities) loaded."""
    with DEMO_REGIONS_CSV.open(encoding="utf-8", newline="") as f:
        regions = regions_import(read_region_csv(f))
    with DEMO_FACILITIES_CSV.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        facilities = facilities_import((reader.line_num, row) for row in reader)
    rejected = regions.rejected + facilities.rejected
    if rejected:
        raise DemoDataError("; ".join(str(r) for r in rejected[:5]))
    return regions.saved, facilities.saved
