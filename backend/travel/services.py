"""Loading a province's network and precomputing its village x facility travel times (pgRouting).

1. `network_load`: the edges and vertices of an extract replace the province's (COPY, one transaction).
2. `travel_times_build`: every village of the province with a centroid is snapped to its nearest node (off the
   network beyond TRAVEL_MAX_SNAP_M), every active facility near the network likewise; then one pgr_dijkstraCost
   over the province's edges, from the village nodes to the facility nodes of the pairs within the village's
   routing radius (a combinations query), gives each pair's seconds, and one pgr_dijkstra the legs (consecutive
   edges of one mode merged) of each village's TRAVEL_LEGS_PER_VILLAGE fastest trips, all in SQL. The walk from the centroid or facility to its node is added at the `access` speed.
   The province's rows are replaced in one transaction, so routing reads either the old table or the new one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from backend.travel.models import TravelEdge, TravelOrigin, TravelTime, TravelVertex
from backend.travel.network import read_network


@dataclass(frozen=True)
class BuildReport:
    villages: int
    villages_on_network: int
    facilities_on_network: int
    pairs: int
    seconds: float

    def summary(self) -> str:
        return (
            f"travel times: {self.pairs} village-facility pairs, {self.villages_on_network}/{self.villages} "
            f"villages and {self.facilities_on_network} facilities on the network, built in {self.seconds:.1f} s"
        )


def network_load(*, path: Path | str, province_code: str) -> tuple[int, int]:
    """Replace the province's network with the extract's: (edges, vertices) loaded."""
    network = read_network(path, speeds=settings.TRAVEL_SPEEDS_KMH)
    with transaction.atomic(), connection.cursor() as cursor:
        TravelEdge.objects.filter(province_code=province_code).delete()
        TravelVertex.objects.filter(province_code=province_code).delete()
        with cursor.copy(
            "COPY travel_traveledge (province_code, osm_way_id, source, target, mode, klass, length_m, cost, "
            "reverse_cost) FROM STDIN"
        ) as copy:
            for e in network.edges:
                copy.write_row(
                    (province_code, e.osm_way_id, e.source, e.target, e.mode, e.klass, e.length_m, e.cost_s,
                     e.reverse_cost_s)
                )  # fmt: skip
        with cursor.copy("COPY travel_travelvertex (id, province_code, geom) FROM STDIN") as copy:
            for node, (lon, lat) in network.vertices.items():
                copy.write_row((node, province_code, f"SRID=4326;POINT({lon} {lat})"))
    return len(network.edges), len(network.vertices)


# The province's villages (with a centroid) and the routing radius each inherits (village, kecamatan, regency,
# province, then the default): the same inheritance as backend/escalations/areas.py, in SQL.
_ORIGINS_SQL = """
CREATE TEMP TABLE travel_origins ON COMMIT DROP AS
SELECT r.code AS village_id, r.point AS point,
       COALESCE(r.routing_max_radius_km, d.routing_max_radius_km, g.routing_max_radius_km,
                p.routing_max_radius_km, %(radius)s) * 1000.0 AS radius_m,
       v.id AS node, ST_Distance(r.point, v.geom::geography) AS snap_m
FROM villages_region r
LEFT JOIN villages_region d ON d.code = r.parent_id
LEFT JOIN villages_region g ON g.code = d.parent_id
LEFT JOIN villages_region p ON p.code = g.parent_id
LEFT JOIN LATERAL (
    SELECT id, geom FROM travel_travelvertex WHERE province_code = %(province)s
    ORDER BY geom <-> r.point::geometry LIMIT 1
) v ON true
WHERE r.level = 'village' AND r.code LIKE %(prefix)s AND r.point IS NOT NULL
"""

_FACILITIES_SQL = """
CREATE TEMP TABLE travel_facilities ON COMMIT DROP AS
SELECT f.id AS facility_id, f.location AS location, v.id AS node,
       ST_Distance(f.location, v.geom::geography) AS snap_m
FROM villages_facility f
CROSS JOIN LATERAL (
    SELECT id, geom FROM travel_travelvertex WHERE province_code = %(province)s
    ORDER BY geom <-> f.location::geometry LIMIT 1
) v
WHERE f.active
  AND f.location::geometry && (SELECT ST_Expand(ST_Extent(geom), 0.1) FROM travel_travelvertex
                               WHERE province_code = %(province)s)
"""

_PAIRS_SQL = """
CREATE TEMP TABLE travel_pairs ON COMMIT DROP AS
SELECT o.village_id, o.node AS vnode, o.snap_m AS vsnap, f.facility_id, f.node AS fnode, f.snap_m AS fsnap
FROM travel_origins o
JOIN travel_facilities f ON ST_DWithin(o.point, f.location, o.radius_m)
WHERE o.snap_m <= %(snap)s AND f.snap_m <= %(snap)s
"""

_MINUTES_SQL = """
INSERT INTO travel_traveltime (village_id, facility_id, province_code, minutes, legs)
SELECT p.village_id, p.facility_id, %(province)s,
       (COALESCE(c.agg_cost, 0) + (p.vsnap + p.fsnap) / %(access_mps)s) / 60.0, '[]'::jsonb
FROM travel_pairs p
LEFT JOIN pgr_dijkstraCost(
    %(edges)s,
    'SELECT DISTINCT vnode AS source, fnode AS target FROM travel_pairs WHERE vnode <> fnode',
    directed => true
) c ON c.start_vid = p.vnode AND c.end_vid = p.fnode
WHERE c.agg_cost IS NOT NULL OR p.vnode = p.fnode
"""

# The legs of each village's fastest trips (the ones an offer and its explanation show): pgr_dijkstra's paths,
# consecutive edges of one mode merged into one leg. Paths are long (hundreds of edges), so all pairs' would be
# tens of millions of rows for a province; the ranking needs the minutes only.
_LEGS_SQL = """
CREATE TEMP TABLE travel_legs_wanted ON COMMIT DROP AS
SELECT t.id, p.vnode, p.fnode
FROM (SELECT id, village_id, facility_id,
             row_number() OVER (PARTITION BY village_id ORDER BY minutes) AS rank
      FROM travel_traveltime WHERE province_code = %(province)s) t
JOIN travel_pairs p ON p.village_id = t.village_id AND p.facility_id = t.facility_id
WHERE t.rank <= %(legs_per_village)s AND p.vnode <> p.fnode;

WITH path AS (
    SELECT d.start_vid, d.end_vid, d.path_seq, e.mode, d.cost
    FROM pgr_dijkstra(
        %(edges)s, 'SELECT DISTINCT vnode AS source, fnode AS target FROM travel_legs_wanted', directed => true
    ) d
    JOIN travel_traveledge e ON e.id = d.edge
),
runs AS (
    SELECT *, path_seq - row_number() OVER (PARTITION BY start_vid, end_vid, mode ORDER BY path_seq) AS run
    FROM path
),
legs AS (
    SELECT start_vid, end_vid, mode, min(path_seq) AS seq, sum(cost) AS secs
    FROM runs GROUP BY start_vid, end_vid, mode, run
),
trips AS (
    SELECT start_vid, end_vid,
           jsonb_agg(jsonb_build_object('mode', mode, 'minutes', round((secs / 60.0)::numeric, 1))
                     ORDER BY seq) AS legs
    FROM legs GROUP BY start_vid, end_vid
)
UPDATE travel_traveltime t SET legs = trips.legs
FROM travel_legs_wanted w JOIN trips ON trips.start_vid = w.vnode AND trips.end_vid = w.fnode
WHERE t.id = w.id
"""


def travel_times_build(*, province_code: str) -> BuildReport:
    """Recompute the province's village x facility travel times from its loaded network (see the module)."""
    started = time.perf_counter()
    params = {
        "province": province_code,
        "prefix": f"{province_code}.%",
        "radius": settings.ROUTING_DEFAULT_MAX_RADIUS_KM,
        "snap": settings.TRAVEL_MAX_SNAP_M,
        "access_mps": settings.TRAVEL_SPEEDS_KMH["access"] / 3.6,
        "legs_per_village": settings.TRAVEL_LEGS_PER_VILLAGE,
        "edges": (
            "SELECT id, source, target, cost, reverse_cost FROM travel_traveledge "
            f"WHERE province_code = '{int(province_code):02d}'"
        ),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # ON COMMIT DROP drops them at the end of the outermost transaction: a second build inside one (a test,
        # an import that builds) must not find them.
        cursor.execute(
            "DROP TABLE IF EXISTS travel_origins, travel_facilities, travel_pairs, travel_legs_wanted"
        )
        cursor.execute(_ORIGINS_SQL, params)
        cursor.execute(_FACILITIES_SQL, params)
        cursor.execute(_PAIRS_SQL, params)
        TravelTime.objects.filter(province_code=province_code).delete()
        TravelOrigin.objects.filter(province_code=province_code).delete()
        cursor.execute(
            "INSERT INTO travel_travelorigin (village_id, province_code, node, snap_m, built_at) "
            "SELECT village_id, %(province)s, CASE WHEN snap_m <= %(snap)s THEN node END, snap_m, now() "
            "FROM travel_origins",
            params,
        )
        cursor.execute(_MINUTES_SQL, params)
        pairs = cursor.rowcount
        cursor.execute(_LEGS_SQL, params)
        cursor.execute(
            "SELECT (SELECT count(*) FROM travel_origins), "
            "(SELECT count(*) FROM travel_origins WHERE snap_m <= %(snap)s), "
            "(SELECT count(*) FROM travel_facilities WHERE snap_m <= %(snap)s)",
            params,
        )
        villages, on_network, facilities = cursor.fetchone()
    return BuildReport(villages, on_network, facilities, pairs, time.perf_counter() - started)
