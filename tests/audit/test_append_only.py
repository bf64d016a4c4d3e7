"""Who read which client's record stays written: the database refuses to change or delete an entry."""

import uuid

import pytest
from django.db import DatabaseError, transaction

from backend.audit.models import AccessLog

pytestmark = pytest.mark.django_db


def _entry(cast) -> AccessLog:
    return AccessLog.objects.create(
        user=cast.volunteer_katingan, client_id=uuid.uuid4(), endpoint="GET /clients/{id}"
    )


def test_an_entry_cannot_be_updated(cast):
    entry = _entry(cast)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(id=entry.id).update(endpoint="nothing to see")
    assert AccessLog.objects.get(id=entry.id).endpoint == "GET /clients/{id}"


def test_an_entry_cannot_be_deleted(cast):
    entry = _entry(cast)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(id=entry.id).delete()
    assert AccessLog.objects.filter(id=entry.id).exists()


def test_entries_can_still_be_added(cast):
    _entry(cast)
    _entry(cast)
    assert AccessLog.objects.count() == 2
