"""The river world of tests/fixtures/osm/river_katingan.osm: a kecamatan of Katingan (62.06.09) astride a river
with no bridge, its villages and two puskesmas, one on each bank.

    west bank (lon 112.98)        river (113.00)          east bank (113.02)
    Desa Barat (client) .......... | .................. Pustu Seberang  (5.6 km, but road+ferry+road)
    Puskesmas Hulu (7.9 km, road)  |                    Desa Timur
    ferry crossing at lat -1.56 ---+--------------------
    Desa Lanting sits on the river upstream: reachable only by boat (landing at lat -1.48 on the west bank).
    Desa Pulau is on an island road connected to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from django.contrib.gis.geos import Point
from django.core.management import call_command

from villages.models import Facility, FacilityType, Region, RegionLevel

RIVER_OSM = Path(__file__).parent.parent / "fixtures" / "osm" / "river_katingan.osm"
DISTRICT = "62.06.09"


@dataclass(frozen=True)
class River:
    barat: Region  # west bank, the usual client's village
    lanting: Region  # on the river, boat only
    timur: Region  # east bank
    pulau: Region  # the island
    hulu: Facility  # west bank puskesmas, by road from Desa Barat
    seberang: Facility  # east bank, the straight-line nearest to Desa Barat


def _region(code: str, level: str, name: str, parent: str | None, lon: float, lat: float) -> Region:
    obj, _ = Region.objects.update_or_create(
        code=code,
        defaults={"level": level, "name": name, "parent_id": parent, "point": Point(lon, lat, srid=4326)},
    )
    return obj


def facility(code: str, name: str, village: Region, lon: float, lat: float, **kw: object) -> Facility:
    return Facility.objects.create(
        code=code,
        name=name,
        type=kw.pop("type", FacilityType.PUSKESMAS),
        village=village,
        location=Point(lon, lat, srid=4326),
        **kw,
    )


def river_world() -> River:
    """The regions and facilities (not the network: `river_network_load`)."""
    _region("62", RegionLevel.PROVINCE, "Kalimantan Tengah", None, 113.38, -1.68)
    _region("62.06", RegionLevel.REGENCY, "Kabupaten Katingan", "62", 113.0708, -1.6859)
    _region(DISTRICT, RegionLevel.DISTRICT, "Kecamatan Sungai", "62.06", 113.0, -1.48)
    barat = _region(f"{DISTRICT}.2001", RegionLevel.VILLAGE, "Desa Barat", DISTRICT, 112.975, -1.45)
    lanting = _region(f"{DISTRICT}.2002", RegionLevel.VILLAGE, "Desa Lanting", DISTRICT, 113.003, -1.38)
    timur = _region(f"{DISTRICT}.2003", RegionLevel.VILLAGE, "Desa Timur", DISTRICT, 113.025, -1.50)
    pulau = _region(f"{DISTRICT}.2004", RegionLevel.VILLAGE, "Desa Pulau", DISTRICT, 113.105, -1.45)
    hulu = facility("T-PKM-HULU", "Puskesmas Hulu", barat, 112.985, -1.52)
    seberang = facility("T-PKM-SBR", "Puskesmas Seberang", timur, 113.025, -1.45)
    return River(barat, lanting, timur, pulau, hulu, seberang)


def river_network_load() -> str:
    """Import the extract for province 62 and build its travel times: the command's output."""
    out = StringIO()
    call_command("import_travel_network", str(RIVER_OSM), "--province", "62", stdout=out)
    return out.getvalue()
