"""Steps of a case the escalation tests share: escalate (through the service or the API), accept, consent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from backend.accounts.models import User
from backend.escalations.models import Escalation
from backend.escalations.services import escalation_create
from backend.recovery.models import Client
from tests.cast import Cast


def escalate(cast: Cast, client: Client, need: str = "counseling") -> Escalation:
    """volunteer_katingan escalates `client` through the service (offered to the nearest staff member)."""
    return escalation_create(
        actor=cast.volunteer_katingan, client=client, need=need, urgency="routine", reason="Skrining tinggi"
    )


def escalate_accepted(api: Any, cast: Cast, client: Client) -> Escalation:
    """`escalate`, then counselor_near accepts over the API."""
    esc = escalate(cast, client)
    assert api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/accept").status_code == 200
    return esc


def escalate_via_api(api: Any, user: User, client: Client, need: str = "counseling") -> Any:
    """POST /escalations as `user`: the response."""
    response = api.as_(user).post(
        "/escalations",
        {"client_id": str(client.id), "need": need, "urgency": "routine", "reason": "menyuntik lagi"},
    )
    return response


def accepted_via_api(api: Any, cast: Cast, client: Client) -> str:
    """volunteer_katingan escalates over the API and counselor_near accepts: the escalation's id."""
    created = escalate_via_api(api, cast.volunteer_katingan, client)
    assert created.status_code == 201, created.content
    eid = created.json()["id"]
    accepted = api.as_(cast.counselor_near).post(f"/escalations/{eid}/accept")
    assert accepted.status_code == 200, accepted.content
    return eid


def in_hours(hours: int = 48) -> str:
    """An instant `hours` from now, ISO 8601 (an appointment)."""
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def record_consent(api: Any, user: User, client: Client, scope: str, given: bool) -> None:
    response = api.as_(user).post(
        f"/clients/{client.id}/consents", {"scope": scope, "given": given, "given_by": "client"}
    )
    assert response.status_code == 201, response.content
