"""Reads of escalations (client code, reason: health free text) are access-logged, on lists, details and the
records the steps of a case answer with."""

from __future__ import annotations

import pytest
from django.db.models import Max

from backend.audit.models import AccessLog
from tests.escalations.conftest import make_client
from tests.escalations.helpers import accepted_via_api as _accepted
from tests.escalations.helpers import escalate_via_api as _create
from tests.escalations.helpers import in_hours as _future

pytestmark = pytest.mark.django_db


def test_reading_escalations_is_access_logged(api, cast, client_kasongan):
    """Leak: GET /escalations and /escalations/{id} (client code, reason: health free text) and the records
    returned by accept/schedule/outcome left no trace in the access log."""
    other = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    eid = _accepted(api, cast, client_kasongan)
    assert _create(api, cast.volunteer_katingan, other).status_code == 201
    counselor = api.as_(cast.counselor_near)
    # The access log is append-only (a database trigger): count from here on instead of deleting.
    mark = AccessLog.objects.aggregate(m=Max("id"))["m"] or 0

    api.as_(cast.official_katingan).get(f"/escalations/{eid}")
    api.as_(cast.official_katingan).get("/escalations")
    counselor.post(f"/escalations/{eid}/schedule", {"appointment_at": _future()})
    counselor.post(f"/escalations/{eid}/outcome", {"outcome": "outpatient"})

    rows = set(AccessLog.objects.filter(id__gt=mark).values_list("user_id", "client_id", "endpoint"))
    official, staff = cast.official_katingan.id, cast.counselor_near.id
    assert rows == {
        (official, client_kasongan.id, "GET /escalations/{id}"),
        (official, client_kasongan.id, "GET /escalations"),
        (official, other.id, "GET /escalations"),
        (staff, client_kasongan.id, "POST /escalations/{id}/schedule"),
        (staff, client_kasongan.id, "POST /escalations/{id}/outcome"),
    }


def test_accepting_is_access_logged(api, cast, client_kasongan):
    """Leak: the record returned on accepting a case (now with the full client behind it) was not logged."""
    created = _create(api, cast.volunteer_katingan, client_kasongan)
    eid = created.json()["id"]

    assert api.as_(cast.counselor_near).post(f"/escalations/{eid}/accept").status_code == 200

    assert AccessLog.objects.filter(
        user=cast.counselor_near, client_id=client_kasongan.id, endpoint="POST /escalations/{id}/accept"
    ).exists()
