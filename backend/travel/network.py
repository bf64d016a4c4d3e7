"""An OpenStreetMap extract as a routable network: roads, ferry routes and navigable rivers as edges.

Read with pyosmium (libosmium's Python bindings) rather than osm2pgrouting: osm2pgrouting's stock mapconfig
keeps `highway=*` only, so ferries (`route=ferry`) and rivers (`waterway=river|canal`) would need a custom
mapconfig *and* its own table layout, a second schema and a second database connection from a C++ tool; pyosmium
reads .osm and .osm.pbf alike, inside the management command, and the classes and speeds stay in one Python
dictionary (settings.TRAVEL_SPEEDS_KMH).

Every way is cut into its segments (node to node), so every OSM node is a pgRouting vertex (its id is the OSM
node id: no topology to rebuild) and a village or facility is snapped to the nearest node, not to the nearest
junction, which on a rural road can be kilometres away. A province's network has as many edges as nodes on its
kept ways (a few million for a large one); pgr_dijkstra runs over it once per build, never per request.
A river is boarded only where a kept way shares a node with it (a landing, a slipway, a pier), never where a
bridge passes over it: that is how a river with no bridge stays a barrier to a road trip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import osmium

ONEWAY_YES = {"yes", "true", "1"}
RIVERS = {"river", "canal"}


@dataclass(frozen=True)
class Edge:
    osm_way_id: int
    source: int
    target: int
    mode: str  # road | ferry | boat
    klass: str  # the speed class (settings.TRAVEL_SPEEDS_KMH key)
    length_m: float
    cost_s: float  # -1: not this way
    reverse_cost_s: float


def classify(tags: dict[str, str], speeds: dict[str, float]) -> tuple[str, str] | None:
    """(mode, speed class) of a way, or None when it carries no traffic Pulih routes over."""
    if tags.get("route") == "ferry":
        return "ferry", "ferry"
    waterway = tags.get("waterway")
    if waterway in RIVERS and tags.get("boat") != "no" and tags.get("motorboat") != "no":
        return "boat", "river_boat"
    highway = tags.get("highway", "").removesuffix("_link")
    if highway and highway in speeds and highway not in ("ferry", "river_boat", "access"):
        return "road", highway
    return None


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle metres between two (lon, lat) points (a few metres off the spheroid over a road's segment)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


@dataclass
class Network:
    edges: list[Edge]
    vertices: dict[int, tuple[float, float]]  # node id -> (lon, lat)


def read_network(path: Path | str, *, speeds: dict[str, float]) -> Network:
    """Every segment of every kept way of the extract, with its travel time in seconds each way."""
    ways: list[tuple[int, str, str, str, list[int]]] = []
    coords: dict[int, tuple[float, float]] = {}
    for way in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if not way.is_way():
            continue
        tags = dict(way.tags)
        kind = classify(tags, speeds)
        if kind is None:
            continue
        refs = []
        for node in way.nodes:
            if not node.location.valid():
                continue  # a node outside the extract
            coords[node.ref] = (node.location.lon, node.location.lat)
            refs.append(node.ref)
        if len(refs) >= 2:
            ways.append((way.id, kind[0], kind[1], tags.get("oneway", "no"), refs))
    edges: list[Edge] = []
    vertices: dict[int, tuple[float, float]] = {}
    for way_id, mode, klass, oneway, refs in ways:
        for source, target in zip(refs, refs[1:], strict=False):
            if source == target:
                continue
            length = haversine_m(coords[source], coords[target])
            seconds = length / (speeds[klass] / 3.6)
            forward = -1.0 if mode == "road" and oneway == "-1" else seconds
            backward = -1.0 if mode == "road" and oneway in ONEWAY_YES else seconds
            edges.append(Edge(way_id, source, target, mode, klass, length, forward, backward))
            vertices[source], vertices[target] = coords[source], coords[target]
    return Network(edges=edges, vertices=vertices)
