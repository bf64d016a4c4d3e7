"""The recovery selectors other modules build on: scope, access level, audited get, consent checks."""

from __future__ import annotations

import uuid

import pytest

from backend.access.policy import client_access_level, client_qs_for
from backend.audit.models import AccessLog
from backend.common.errors import NotFound
from backend.reads.clients import client_get_for
from backend.recovery.models import Consent
from backend.recovery.selectors import consent_in_force
from tests.recovery.helpers import fast_password_hashing, offer, register  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_access_level_is_full_minimal_or_none(cast):
    client = register(cast)
    offer(cast, client)
    assert client_access_level(user=cast.volunteer_katingan, client=client) == "full"
    assert client_access_level(user=cast.counselor_near, client=client) == "minimal"
    assert client_access_level(user=cast.counselor_far, client=client) is None
    assert client_access_level(user=cast.system_admin, client=client) == "full"


def test_the_scoped_queryset_is_one_row_per_client_however_many_paths_lead_to_it(cast):
    client = register(cast, assigned_volunteer_ids=[cast.volunteer_katingan.id])
    offer(cast, client, staff=cast.counselor_near, accepted=True)
    offer(cast, client, staff=cast.counselor_near, need="assessment")
    assert list(client_qs_for(user=cast.volunteer_katingan)) == [client]
    assert list(client_qs_for(user=cast.counselor_near)) == [client]
    assert list(client_qs_for(user=cast.nobody)) == []


def test_the_audited_get_logs_and_refuses_out_of_scope(cast):
    client = register(cast)
    found = client_get_for(user=cast.official_katingan, client_id=client.id, endpoint="GET /x")
    assert found == client and found.full_access is True
    assert AccessLog.objects.get().endpoint == "GET /x"
    with pytest.raises(NotFound):
        client_get_for(user=cast.volunteer_mataram, client_id=client.id, endpoint="GET /x")
    with pytest.raises(NotFound):
        client_get_for(user=cast.system_admin, client_id=uuid.uuid4(), endpoint="GET /x")
    assert AccessLog.objects.count() == 1


def test_the_latest_consent_event_per_scope_decides(cast):
    client = register(cast)
    assert consent_in_force(client_id=client.id, scope="referral") is False
    for given in (True, False, True):
        Consent.objects.create(
            client=client,
            scope="referral",
            given=given,
            given_by="client",
            recorded_by=cast.volunteer_katingan,
        )
    assert consent_in_force(client_id=client.id, scope="referral") is True
    assert consent_in_force(client_id=client.id, scope="contact_family") is False
