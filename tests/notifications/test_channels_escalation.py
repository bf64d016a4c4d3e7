"""End to end with a real escalation: an urgent case offered to a counselor who does not open the offer reaches
them by WhatsApp after 15 minutes, with nothing of the client; an offer answered in time reaches no one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from backend.escalations.models import Offer
from backend.escalations.services.assignment import escalation_cancel
from backend.escalations.services.offers import escalation_create, offer_accept, offer_decline
from notifications import tasks
from notifications.models import ChannelMessage, Notification
from notifications.services import channel_preference_set
from tests.factories import ClientRowFactory
from tests.fakes.sms import sms_fake  # noqa: F401 (the `sms` fixture)
from tests.fakes.whatsapp import whatsapp_fake  # noqa: F401 (the `whatsapp` fixture)

START = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@pytest.fixture
def case(cast):
    """An urgent counseling case of a client in Kasongan Baru, offered at START to the nearest counselor."""
    client = ClientRowFactory(
        village=cast.kasongan_baru,
        registered_by=cast.volunteer_katingan,
        volunteers=(cast.volunteer_katingan,),
        name="Budi Santoso Rahasia",
        phone="+6285299990001",
    )
    with time_machine.travel(START, tick=False):
        escalation = escalation_create(
            actor=cast.volunteer_katingan, client=client, need="counseling", urgency="urgent", reason="Kambuh"
        )
    offer = Offer.objects.get(escalation=escalation)
    return client, escalation, offer


def sweep_at(minutes: int) -> int:
    with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
        return tasks.sweep_second_channel()


def test_an_unopened_urgent_offer_reaches_the_counselor_by_whatsapp_once(
    cast, case, whatsapp, sms, eager_celery
):
    client, escalation, offer = case
    staff = offer.staff
    channel_preference_set(user=staff, whatsapp=True, sms=True)
    notification = Notification.objects.get(recipient=staff, kind="escalation_offered")
    assert notification.priority == "high"

    assert sweep_at(14) == 0
    assert sweep_at(15) == 1
    assert sweep_at(16) == 0

    (body,) = whatsapp.templates()
    assert body["to"] == staff.phone.lstrip("+")
    assert body["template"]["name"] == "pulih_tugas_mendesak"
    received = whatsapp.everything_received()
    for secret in (
        client.code,
        client.name,
        client.phone,
        client.phone.lstrip("+"),
        str(client.id),
        str(escalation.id),
    ):
        assert secret not in received
    assert sms.received == []
    (message,) = ChannelMessage.objects.all()
    assert (message.recipient_id, message.notification_id, message.state) == (
        staff.id,
        notification.id,
        "sent",
    )


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_offer_answered_in_time_is_not_followed_up(cast, case, whatsapp, sms, eager_celery, answer):
    _client, escalation, offer = case
    channel_preference_set(user=offer.staff, whatsapp=True, sms=True)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        # Answered from the case list, the offer's notification never opened.
        if answer == "accept":
            offer_accept(escalation_id=escalation.id, actor=offer.staff)
        else:
            offer_decline(escalation_id=escalation.id, actor=offer.staff, reason="Penuh")
    assert Notification.objects.get(recipient=offer.staff, kind="escalation_offered").read_at is None

    sweep_at(20)
    assert not whatsapp.sends() and not sms.received
    assert not ChannelMessage.objects.filter(recipient=offer.staff, state="sent").exists()


def test_a_routine_offer_is_no_urgent_news_and_never_leaves_the_app(cast, whatsapp, sms, eager_celery):
    """Only an urgent case's offer goes to a second channel: a routine one is pushed at normal priority."""
    client = ClientRowFactory(
        village=cast.kasongan_baru,
        registered_by=cast.volunteer_katingan,
        volunteers=(cast.volunteer_katingan,),
    )
    with time_machine.travel(START, tick=False):
        escalation = escalation_create(
            actor=cast.volunteer_katingan,
            client=client,
            need="counseling",
            urgency="routine",
            reason="Kontrol",
        )
    offer = Offer.objects.get(escalation=escalation)
    channel_preference_set(user=offer.staff, whatsapp=True, sms=True)
    notification = Notification.objects.get(recipient=offer.staff, kind="escalation_offered")
    assert notification.priority == "normal"
    assert sweep_at(60) == 0
    assert not whatsapp.sends() and not sms.received


def test_an_offer_withdrawn_by_a_cancel_is_not_followed_up(cast, case, whatsapp, sms, eager_celery):
    _client, escalation, offer = case
    channel_preference_set(user=offer.staff, whatsapp=True, sms=True)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        escalation_cancel(escalation_id=escalation.id, actor=cast.volunteer_katingan, reason="Salah input")
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert sweep_at(20) == 0
    assert not whatsapp.sends() and not sms.received
