"""Per-area settings of escalations, read from the client's village and its ancestors (nearest first)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Point

from backend.common.prepared import fetch_prepared
from backend.escalations import sla


def ancestor_codes(code: str) -> list[str]:
    """'62.06.02.1003' -> ['62.06.02.1003', '62.06.02', '62.06', '62']."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


@dataclass(frozen=True)
class AreaSettings:
    village_code: str
    timezone: str
    point: Point | None  # the village's centroid, or the nearest ancestor's
    max_radius_km: int
    max_travel_minutes: int
    sla_routine_hours: int
    sla_urgent_hours: int
    regency_code: str | None
    province_code: str | None
    # The travel network at the village: "covered" (travel-time routing), "off_network" (a network is loaded
    # for the province but the centroid is far from every node) or "no_network" (straight-line routing).
    network: str = "no_network"

    def sla_hours(self, urgency: str) -> int:
        return self.sla_urgent_hours if urgency == sla.URGENT else self.sla_routine_hours


# The village and its ancestors: the knobs, the centroid as x, y (not the boundary: a province's is megabytes),
# and the village's place on the travel network. Prepared once per connection (backend/common/prepared.py).
_AREAS_SQL = """
SELECT r.code, r.level, r.timezone, ST_X(r.point::geometry), ST_Y(r.point::geometry), r.routing_max_radius_km,
       r.routing_max_travel_minutes, r.sla_routine_hours, r.sla_urgent_hours, t.village_id IS NOT NULL, t.node
FROM villages_region r LEFT JOIN travel_travelorigin t ON t.village_id = r.code
WHERE r.code = ANY(%(codes)s::text[])
"""


@dataclass(frozen=True)
class _Area:
    code: str
    level: str
    timezone: str
    point: Point | None
    routing_max_radius_km: int | None
    routing_max_travel_minutes: int | None
    sla_routine_hours: int | None
    sla_urgent_hours: int | None
    on_network: bool
    travel_node: int | None


def area_settings(*, village_code: str) -> AreaSettings:
    """One query: the village and its ancestors, each knob inherited from the nearest area that sets it, and the
    village's place on the travel network."""
    codes = ancestor_codes(village_code)
    rows = {}
    for code, level, tz, x, y, *knobs, on_network, node in fetch_prepared(_AREAS_SQL, {"codes": codes}):
        point = Point(x, y, srid=4326) if x is not None else None
        rows[code] = _Area(code, level, tz, point, *knobs, on_network, node)
    chain = [rows[c] for c in codes if c in rows]
    village = chain[0] if chain else None
    return AreaSettings(
        village_code=village_code,
        timezone=village.timezone if village else settings.TIME_ZONE,
        point=next((r.point for r in chain if r.point is not None), None),
        max_radius_km=sla.inherited(
            (r.routing_max_radius_km for r in chain), settings.ROUTING_DEFAULT_MAX_RADIUS_KM
        ),
        max_travel_minutes=sla.inherited(
            (r.routing_max_travel_minutes for r in chain), settings.ROUTING_DEFAULT_MAX_TRAVEL_MINUTES
        ),
        sla_routine_hours=sla.inherited((r.sla_routine_hours for r in chain), settings.SLA_ROUTINE_HOURS),
        sla_urgent_hours=sla.inherited((r.sla_urgent_hours for r in chain), settings.SLA_URGENT_HOURS),
        regency_code=next((r.code for r in chain if r.level == "regency"), None),
        province_code=next((r.code for r in chain if r.level == "province"), None),
        network=_network(village),
    )


def _network(village: _Area | None) -> str:
    if village is None or not village.on_network:
        return "no_network"
    return "covered" if village.travel_node is not None else "off_network"
