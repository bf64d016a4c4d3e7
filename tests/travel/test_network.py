"""Importing a hand-built extract (tests/fixtures/osm/river_katingan.osm) and building its travel times."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from backend.travel.models import TravelEdge, TravelOrigin, TravelTime, TravelVertex
from backend.travel.network import read_network
from backend.travel.services import travel_times_build
from tests.travel.river import RIVER_OSM as RIVER
from tests.travel.river import river_world
from villages.models import Region, RegionLevel

SPEEDS = {"primary": 50, "service": 15, "residential": 20, "ferry": 15, "river_boat": 12, "access": 5}


def test_it_keeps_roads_ferries_and_rivers_cut_into_segments():
    network = read_network(RIVER, speeds=SPEEDS)

    modes = sorted({(e.osm_way_id, e.mode) for e in network.edges})
    # The weir (way 107) is mapped but carries nobody: not an edge.
    assert modes == [
        (100, "road"),
        (101, "road"),
        (102, "ferry"),
        (103, "boat"),
        (104, "boat"),
        (105, "road"),
        (106, "road"),
    ]
    west = sorted((e.source, e.target) for e in network.edges if e.osm_way_id == 100)
    # Every node is a vertex (a village snaps to the nearest node, not the nearest junction).
    assert west == [(11, 12), (12, 13), (13, 14), (14, 15), (15, 16)]
    ferry = next(e for e in network.edges if e.mode == "ferry")
    # 4.45 km at 15 km/h, both ways.
    assert ferry.cost_s == ferry.reverse_cost_s
    assert 1050 < ferry.cost_s < 1080


def test_a_one_way_road_costs_minus_one_against_its_direction(tmp_path):
    osm = tmp_path / "oneway.osm"
    osm.write_text(
        '<osm version="0.6"><node id="1" lat="0" lon="0" version="1"/><node id="2" lat="0" lon="0.01" version="1"/>'
        '<way id="9" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/>'
        '<tag k="oneway" v="yes"/></way></osm>'
    )
    (edge,) = read_network(osm, speeds=SPEEDS).edges
    assert edge.cost_s > 0
    assert edge.reverse_cost_s == -1


@pytest.mark.django_db
def test_the_command_loads_the_network_and_builds_travel_times_with_their_legs():
    world = river_world()
    west, lanting, island, hulu, seberang = (
        world.barat,
        world.lanting,
        world.pulau,
        world.hulu,
        world.seberang,
    )
    # 60 km from any node: off the network.
    far = Region.objects.create(
        code="62.06.09.2009", level=RegionLevel.VILLAGE, name="Jauh", parent_id="62.06.09",
        point=Point(113.60, -1.45, srid=4326),
    )  # fmt: skip
    out = StringIO()

    call_command("import_travel_network", str(RIVER), "--province", "62", stdout=out)

    assert TravelEdge.objects.filter(province_code="62").count() == 15
    assert TravelVertex.objects.filter(province_code="62").count() == 17
    assert "4/4 villages" not in out.getvalue()  # one is off the network
    times = {(t.village_id, t.facility_id): t for t in TravelTime.objects.all()}
    by_road = times[(west.code, hulu.id)]
    assert [leg["mode"] for leg in by_road.legs] == ["road"]
    across = times[(west.code, seberang.id)]
    assert [leg["mode"] for leg in across.legs] == ["road", "ferry", "road"]
    assert across.minutes > by_road.minutes * 2
    by_boat = times[(lanting.code, hulu.id)]
    assert [leg["mode"] for leg in by_boat.legs] == ["boat", "road"]
    # The river has no landing on the east bank: from the boat village, the east bank is boat, road, ferry, road.
    assert [leg["mode"] for leg in times[(lanting.code, seberang.id)].legs] == [
        "boat",
        "road",
        "ferry",
        "road",
    ]
    assert not any(v == island.code for v, _ in times)
    origins = dict(TravelOrigin.objects.values_list("village_id", "node"))
    assert origins[lanting.code] == 32
    assert origins[island.code] in (41, 42)
    assert origins[far.code] is None


@pytest.mark.django_db
def test_a_rebuild_replaces_the_province_rows_and_an_empty_extract_is_refused(tmp_path):
    river_world()
    call_command("import_travel_network", str(RIVER), "--province", "62", stdout=StringIO())
    first = TravelTime.objects.count()

    report = travel_times_build(province_code="62")

    assert report.pairs == first == TravelTime.objects.count()
    empty = tmp_path / "empty.osm"
    empty.write_text('<osm version="0.6"></osm>')
    with pytest.raises(CommandError):
        call_command("import_travel_network", str(empty), "--province", "62", stdout=StringIO())
