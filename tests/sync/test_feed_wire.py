"""GET /sync/changes on the wire: compressed when the phone asks, pages of up to 5,000 items, one access-log row
per client read per request, and visit pages whose records are built for the page's own rows only."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.audit.models import AccessLog
from backend.mobile.visit_writes import visit_create
from tests.factories import PASSWORD
from tests.sync.helpers import drain, make_client, visit_payload

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate"}
BR = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture
def world(cast):
    """Four clients in Kasongan Baru with three visits each."""
    clients = [make_client(village="62.06.02.1003", by=cast.official_katingan) for _ in range(4)]
    visits = [
        visit_create(actor=cast.volunteer_katingan, data=visit_payload(c)) for c in clients for _ in range(3)
    ]
    return {"clients": clients, "visits": visits}


def test_the_feed_is_gzipped_when_the_phone_asks_for_it(api, cast, world):
    plain = api.as_(cast.volunteer_katingan).get("/sync/changes", limit=1000)
    packed = api.as_(cast.volunteer_katingan).get("/sync/changes", headers=GZIP, limit=1000)
    assert packed.status_code == 200
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    body = json.loads(gzip.decompress(packed.content))
    assert len(packed.content) < len(plain.content) / 3
    assert [(i["entity"], i["id"], i["data"]) for i in body["items"]] == [
        (i["entity"], i["id"], i["data"]) for i in plain.json()["items"]
    ]


def test_the_feed_is_in_brotli_when_the_phone_accepts_it(api, cast, world):
    plain = api.as_(cast.volunteer_katingan).get("/sync/changes", limit=1000)
    packed = api.as_(cast.volunteer_katingan).get("/sync/changes", headers=BR, limit=1000)
    assert packed["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed["Vary"]
    assert int(packed["Content-Length"]) == len(packed.content)
    body = json.loads(brotli.decompress(packed.content))
    assert [i["id"] for i in body["items"]] == [i["id"] for i in plain.json()["items"]]


def test_a_coding_refused_with_zero_weight_is_not_used(api, cast, world):
    response = api.as_(cast.volunteer_katingan).get(
        "/sync/changes", headers={"Accept-Encoding": "br;q=0, gzip"}, limit=1000
    )
    assert response["Content-Encoding"] == "gzip"


def test_the_feed_is_plain_json_when_the_phone_does_not_ask(api, cast, world):
    response = api.as_(cast.volunteer_katingan).get("/sync/changes", limit=1000)
    assert not response.has_header("Content-Encoding")
    assert response.json()["items"]


def test_tokens_are_never_compressed(api, cast):
    """BREACH: an answer carrying a secret is never compressed, whatever the client accepts."""
    response = api.post(
        "/auth/login", {"phone": cast.volunteer_katingan.phone, "password": PASSWORD}, headers=BR
    )
    assert response.status_code == 200, response.content
    assert not response.has_header("Content-Encoding")
    assert response.json()["access"]


def test_a_page_holds_up_to_5000_items(api, cast, world):
    ok = api.as_(cast.volunteer_katingan).get("/sync/changes", limit=5000)
    assert ok.status_code == 200
    assert len(ok.json()["items"]) == 16 and ok.json()["has_more"] is False  # 4 clients + 12 visits
    too_many = api.as_(cast.volunteer_katingan).get("/sync/changes", limit=5001)
    assert too_many.status_code == 422


def test_each_feed_request_logs_every_client_it_read_once(api, cast, world):
    """One row per client per request (never fewer): the rows of one request share their request id."""
    AccessLog.objects.all().delete()
    _items, _cursor, pages = drain(api, cast.volunteer_katingan, limit=8)
    rows = list(AccessLog.objects.filter(user=cast.volunteer_katingan, endpoint="sync_changes"))
    by_request: dict = {}
    for row in rows:
        by_request.setdefault(row.request_id, []).append(row.client_id)
    # 4 clients + 4 visits, then 8 visits, then an empty page (the log, nothing read): two requests read clients.
    assert pages == 3 and len(by_request) == 2
    for clients in by_request.values():
        assert len(clients) == len(set(clients))
    assert {c for clients in by_request.values() for c in clients} == {c.id for c in world["clients"]}


def test_a_visit_page_builds_records_for_its_own_rows_only(api, cast, world):
    """The visit record (json_build_object over a join) was computed for every visit left in the set and then
    sorted to keep a page: a page cost what was left of the set. The page's ids are now chosen first."""
    with CaptureQueriesContext(connection) as queries:
        response = api.as_(cast.volunteer_katingan).get("/sync/changes", limit=6)
    assert response.status_code == 200
    (sql,) = [q["sql"] for q in queries.captured_queries if "json_build_object" in q["sql"]]
    outer = sql.rsplit(")", 1)[-1]  # what follows the last closing parenthesis: the outer query's tail
    assert "LIMIT" in sql and "LIMIT" not in outer, sql
