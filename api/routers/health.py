"""GET /health: database, PostGIS and broker status. Public."""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from ninja import Router

router = Router(auth=None)


def _check_database() -> tuple[bool, bool]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            return True, bool(cursor.fetchone()[0])
    except Exception:
        return False, False


def _check_broker() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except Exception:
        return False


@router.get("/health", summary="Status layanan", response={200: dict, 503: dict})
def health(request: HttpRequest) -> JsonResponse:
    database, postgis = _check_database()
    broker = _check_broker()
    ok = database and postgis and broker
    body = {"status": "ok" if ok else "degraded", "database": database, "postgis": postgis, "broker": broker}
    return JsonResponse(body, status=200 if ok else 503)
