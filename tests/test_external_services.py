"""The DATABASE_URL / REDIS_URL path: run by `make test` (scripts/test-external.sh) against the PostgreSQL and
Redis on 127.0.0.1 when they answer, instead of the embedded ones. Skipped in the main run."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection

pytestmark = [pytest.mark.external, pytest.mark.django_db]


def test_it_talks_to_the_postgresql_named_by_database_url():
    assert os.environ.get("DATABASE_URL"), "run through scripts/test-external.sh"
    assert settings.DATABASES["default"]["HOST"] == "127.0.0.1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT postgis_lib_version(), inet_server_port()")
        version, port = cursor.fetchone()
    assert version.startswith("3.")
    assert port == 5432


def test_it_measures_geodesic_distance_there(cast):
    from django.contrib.gis.db.models.functions import Distance

    from villages.models import Facility

    here = Point(113.44706, -1.92137, srid=4326)  # Kasongan Baru
    nearest = Facility.objects.annotate(d=Distance("location", here)).order_by("d").first()
    assert nearest.code == "T-PKM-KSG"
    assert 1.5 < nearest.d.km < 3.5


def test_it_talks_to_the_redis_named_by_redis_url():
    assert settings.REDIS_URL.startswith("redis://127.0.0.1")
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = f"pulih-external-{uuid.uuid4()}"
    client.set(key, "1", ex=5)
    assert client.get(key) == b"1"
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
