"""POST /escalations in a fixed number of queries besides routing's own (issue 11, "Fast at national scale").

Routing (`routing.route`) is counted apart, by running it alone on the same case: its statements are its own
module's business (and change with it); what this test pins is everything around it: auth, scope, consent, the
case, the caseload re-check, the offer, the inbox row, the change log and the response.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.escalations import routing, sla
from backend.escalations.areas import area_settings
from backend.escalations.models import Offer
from notifications.models import Notification
from tests.escalations.conftest import make_client

pytestmark = pytest.mark.django_db

# 2 auth, 1 client, 1 consents, 4 the case (savepoint, insert, release, the area), 4 the caseload re-check
# (savepoint, lock, count, release), 2 the offer (insert, the case's update), 1 the inbox row, 2 the change log,
# 2 the transaction's savepoint (the test's own transaction). The response reads nothing: the offer made comes
# with the case (`offers_made`).
QUERIES_BESIDES_ROUTING = 19


def post(api, cast, client):
    payload = {"client_id": str(client.id), "need": "counseling", "urgency": "routine", "reason": "Risiko"}
    return api.as_(cast.volunteer_katingan).post("/escalations", payload)


def test_creating_an_escalation_costs_a_fixed_number_of_queries_besides_routing(api, cast):
    volunteer = cast.volunteer_katingan
    warm_up, client = (make_client(cast.kasongan_baru, volunteer, volunteers=(volunteer,)) for _ in range(2))
    assert post(api, cast, warm_up).status_code == 201  # process-wide caches (spatial_ref_sys) filled
    area = area_settings(village_code=client.village_id)
    with CaptureQueriesContext(connection) as alone:
        routing.route(
            origin=area.point,
            need="counseling",
            day=sla.local_date(instant=timezone.now(), tz=area.timezone),
            radius_km=area.max_radius_km,
            declined=set(),
        )

    with CaptureQueriesContext(connection) as request:
        response = post(api, cast, client)

    assert response.status_code == 201, response.json()
    offer = Offer.objects.get(escalation_id=response.json()["id"])
    assert Notification.objects.filter(recipient_id=offer.staff_id, event_key=f"offer:{offer.id}").exists()
    assert len(request.captured_queries) - len(alone.captured_queries) == QUERIES_BESIDES_ROUTING, "\n".join(
        q["sql"][:120] for q in request.captured_queries
    )
