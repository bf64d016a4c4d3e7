"""A client's last contact moves with every upload of visits (recovery.models.clients_seen): that UPDATE must be
a HOT update (migration 0015: no index on `last_contact_at`, fillfactor 80), writing no entry in any of the
client table's indexes. Checked with PostgreSQL's own count of the transaction's HOT updates."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from backend.recovery.models import Client, clients_seen
from tests.sync.helpers import make_client

pytestmark = pytest.mark.django_db


def _hot_updates() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_get_xact_tuples_hot_updated('recovery_client'::regclass)")
        return cursor.fetchone()[0]


def test_no_index_of_the_client_table_covers_last_contact_and_its_pages_keep_room():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'recovery_client'::regclass "
            "AND a.attname = 'last_contact_at'"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'recovery_client'::regclass")
        assert "fillfactor=80" in cursor.fetchone()[0]


def test_a_contact_moves_last_contact_without_touching_the_indexes(cast):
    clients = [make_client(village="62.06.02.1003", by=cast.official_katingan) for _ in range(3)]
    seen = timezone.now()
    before = _hot_updates()
    clients_seen(contacts=[(c.id, seen) for c in clients])
    assert _hot_updates() - before == 3
    assert set(
        Client.objects.filter(id__in=[c.id for c in clients]).values_list("last_contact_at", flat=True)
    ) == {seen}
