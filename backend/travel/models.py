"""The travel network of a province (roads, ferries, navigable rivers) and the village x facility travel times
routing reads.

`TravelEdge` is pgRouting's edge table (id, source, target, cost, reverse_cost; seconds, -1 = not that way),
imported from an OpenStreetMap extract by `import_travel_network`; node ids are the OSM node ids, so no
topology has to be rebuilt. `TravelTime` is precomputed by `build_travel_times` (pgr_dijkstra from each
village's nearest node to the facilities within the area's radius): escalation routing reads it and never runs
a graph search on the request path. `TravelOrigin` marks a village as covered by a loaded network (with its
nearest node): a covered village with no `TravelTime` row to a facility cannot reach it; an uncovered village
falls back to straight-line routing.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    ROAD = "road", _("Jalan")
    FERRY = "ferry", _("Feri")
    BOAT = "boat", _("Perahu (sungai)")


class TravelVertex(models.Model):
    id = models.BigIntegerField(primary_key=True)  # the OSM node id
    province_code = models.CharField(max_length=2, db_index=True)
    geom = models.PointField(srid=4326)  # geometry (planar KNN is enough to find the nearest node)

    class Meta:
        verbose_name = _("simpul jaringan")


class TravelEdge(models.Model):
    id = models.BigAutoField(primary_key=True)
    province_code = models.CharField(max_length=2, db_index=True)
    osm_way_id = models.BigIntegerField()
    source = models.BigIntegerField(db_index=True)
    target = models.BigIntegerField(db_index=True)
    mode = models.CharField(max_length=5, choices=Mode.choices)
    klass = models.CharField(max_length=16)  # the speed class: a highway value, "ferry" or "river_boat"
    length_m = models.FloatField()
    cost = models.FloatField()  # seconds source -> target; -1: not this way (a one-way road)
    reverse_cost = models.FloatField()

    class Meta:
        verbose_name = _("ruas jaringan")


class TravelOrigin(models.Model):
    village = models.OneToOneField(
        "villages.Region", primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    province_code = models.CharField(max_length=2, db_index=True)
    node = models.BigIntegerField(null=True)  # None: no node within TRAVEL_MAX_SNAP_M (off the network)
    snap_m = models.FloatField(null=True)
    built_at = models.DateTimeField(default=timezone.now)


class TravelTime(models.Model):
    id = models.BigAutoField(primary_key=True)
    village = models.ForeignKey(
        "villages.Region", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    facility = models.ForeignKey("villages.Facility", on_delete=models.CASCADE, related_name="travel_times")
    province_code = models.CharField(max_length=2, db_index=True)
    minutes = models.FloatField()
    # The trip's legs in order, consecutive edges of one mode merged: [{"mode": "road", "minutes": 12.5}, ...]
    legs = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["village", "facility"], name="travel_time_pair")]
        indexes = [models.Index(fields=["village", "minutes"], name="travel_time_village_idx")]
