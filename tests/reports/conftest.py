"""A small world for the monthly report, built through the real services at chosen instants (time-machine)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.accounts.models import Role
from backend.escalations.models import Escalation, Offer
from backend.escalations.services.offers import escalation_create, offer_accept
from backend.mobile.visit_writes import visit_create
from backend.recovery.models import Client, Screening
from backend.recovery.services import client_create
from backend.recovery.transitions import client_transition
from tests.cast import make_user

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
ALL_CONSENTS = [
    {"scope": "data_collection", "given": True},
    {"scope": "referral", "given": True},
]


def at(*args: int, tz: ZoneInfo = WIB) -> datetime:
    return datetime(*args, tzinfo=tz)


def register(when: datetime, actor: Any, village: str, name: str) -> Client:
    with time_machine.travel(when):
        return client_create(
            actor=actor, name=name, sex="male", birth_year=1990, village_code=village, consents=ALL_CONSENTS
        )


def transition(when: datetime, client: Client, to: str, actor: Any) -> None:
    with time_machine.travel(when):
        client_transition(client_id=client.id, to_status=to, actor=actor)


def escalate(when: datetime, client: Client, actor: Any, need: str = "counseling") -> Escalation:
    with time_machine.travel(when):
        return escalation_create(actor=actor, client=client, need=need, urgency="routine", reason="uji")


def accept(when: datetime, escalation: Escalation) -> None:
    offer = Offer.objects.get(escalation=escalation, status="pending")
    with time_machine.travel(when):
        offer_accept(escalation_id=escalation.id, actor=offer.staff)


def visit(when: datetime, client: Client, actor: Any) -> None:
    visit_create(
        actor=actor,
        data={
            "id": str(uuid.uuid4()),
            "client_id": str(client.id),
            "occurred_at": when.isoformat(),
            "type": "home_visit",
        },
    )


def screening(
    when: datetime, client: Client, actor: Any, *, risk: str = "moderate", injecting: bool = False
) -> None:
    # Plain rows: the ASSIST scoring is tested elsewhere; the report only reads risk and injecting.
    Screening.objects.create(
        client=client,
        screened_by=actor,
        screened_at=when,
        answers={},
        scores={},
        highest_risk=risk,
        injected_recently=injecting,
    )


@pytest.fixture
def world(cast: SimpleNamespace) -> SimpleNamespace:
    """October 2026 in Katingan (WIB) and Mataram (WITA).

    Katingan Hilir (62.06.02):
    - ani (Kasongan Baru), registered in September; escalated and accepted 5 Oct, outpatient 20 Oct,
      visited 7 Oct, screened in September and on 4 Oct (high risk, injecting); drops out on 5 Nov.
    - budi (Talian Kereng), registered 2 Oct, lost contact 15 Oct, never visited.
    - citra (Kasongan Baru), registered in August, never visited; escalated at 23:00 on 31 Oct, accepted at 00:10 on 1 Nov.
    Barito Timur (62.13): dedi (Tamiang Layang), registered 10 Oct, inpatient 13 Oct, post-rehab 30 Oct,
    visited twice in October.
    Mataram (52.71, WITA): eka, registered 1 Oct, escalated 20 Oct with no assessor in reach (to the
    coordinator); visits at 23:30 WITA on 31 Oct and 00:30 WITA on 1 Nov.
    """
    c = cast
    w = SimpleNamespace(cast=c)
    w.volunteer_tamiang = make_user("081200000005", "Kader Tamiang", (Role.VOLUNTEER, "62.13.01.1012", None))
    w.ani = register(at(2026, 9, 10, 9), c.volunteer_katingan, "62.06.02.1003", "Ani")
    w.citra = register(at(2026, 8, 1, 9), c.volunteer_katingan, "62.06.02.1003", "Citra")
    w.budi = register(at(2026, 10, 2, 9), c.volunteer_talian, "62.06.02.2005", "Budi")
    w.dedi = register(at(2026, 10, 10, 9), w.volunteer_tamiang, "62.13.01.1012", "Dedi")
    w.eka = register(at(2026, 10, 1, 9, tz=WITA), c.volunteer_mataram, "52.71.01.1004", "Eka")

    screening(at(2026, 9, 20, 10), w.ani, c.volunteer_katingan)
    screening(at(2026, 10, 4, 10), w.ani, c.volunteer_katingan, risk="high", injecting=True)
    w.esc_ani = escalate(at(2026, 10, 5, 10), w.ani, c.volunteer_katingan)
    accept(at(2026, 10, 5, 11), w.esc_ani)
    visit(at(2026, 10, 7, 10), w.ani, c.volunteer_katingan)
    transition(at(2026, 10, 20, 10), w.ani, "outpatient", c.counselor_near)
    transition(at(2026, 10, 15, 10), w.budi, "lost_contact", c.volunteer_talian)
    w.esc_citra = escalate(at(2026, 10, 31, 23), w.citra, c.volunteer_katingan)
    for day, status in ((12, "escalated"), (13, "inpatient"), (30, "post_rehab")):
        transition(at(2026, 10, day, 10), w.dedi, status, c.coordinator_kalteng)
    # No assessor within reach of Mataram: the case goes to the coordinator and is still waiting at month end.
    w.esc_eka = escalate(at(2026, 10, 20, 10, tz=WITA), w.eka, c.volunteer_mataram, need="assessment")
    visit(at(2026, 10, 11, 10), w.dedi, w.volunteer_tamiang)
    visit(at(2026, 10, 25, 10), w.dedi, w.volunteer_tamiang)
    visit(at(2026, 10, 31, 23, 30, tz=WITA), w.eka, c.volunteer_mataram)
    visit(at(2026, 11, 1, 0, 30, tz=WITA), w.eka, c.volunteer_mataram)
    return w


def after_october(w: SimpleNamespace) -> None:
    """What happens in November: must not change October's figures."""
    c = w.cast
    accept(at(2026, 11, 1, 0, 10), w.esc_citra)
    transition(at(2026, 11, 5, 10), w.ani, "dropped_out", c.volunteer_katingan)


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)
