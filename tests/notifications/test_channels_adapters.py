"""The channel adapters against local fakes: pywa's real send path to the fake Cloud API, the SMS adapter's real
HTTP request to the fake gateway, push through firebase-admin to the fake FCM. Each answer of the provider is
sorted into sent / transient (with Retry-After) / permanent, and only codes are kept."""

from __future__ import annotations

import json

import pytest

from notifications.channels import Outcome, OutgoingMessage, channel
from tests.fakes import fcm as fcm_answers
from tests.fakes import sms as gateway
from tests.fakes import whatsapp as cloud
from tests.fakes.sms import sms_fake, unreachable_url  # noqa: F401 (the `sms` fixture)
from tests.fakes.whatsapp import whatsapp_fake  # noqa: F401 (the `whatsapp` fixture)

pytestmark = pytest.mark.django_db
PHONE = "+6281200000011"


def message(kind: str = "urgent_offer_unanswered", language: str = "id", to: str = PHONE) -> OutgoingMessage:
    return OutgoingMessage(
        reference="7d1f0c2e-0000-4000-8000-000000000001",
        to=(to,),
        kind=kind,
        language=language,
        text="Ada tugas mendesak di Pulih. Buka aplikasi.",
    )


# --- WhatsApp (pywa) ----------------------------------------------------------------------------------------


def test_whatsapp_sends_the_approved_template_and_nothing_else(whatsapp):
    result = channel("whatsapp").send(message())
    assert (result.outcome, result.provider_message_id) == (Outcome.SENT, "wamid.FAKE000001")
    (request,) = whatsapp.sends()
    assert request.path.endswith(f"/{cloud.PHONE_ID}/messages")
    assert request.headers["Authorization"] == f"Bearer {cloud.TOKEN}"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281200000011",
        "type": "template",
        "template": {"name": "pulih_tugas_mendesak", "language": {"code": "id"}},
    }


def test_whatsapp_picks_the_digest_template_in_the_users_language(whatsapp, settings):
    settings.WHATSAPP_TEMPLATE_LANGUAGES = {"id": "id", "en": "en_US"}
    assert channel("whatsapp").send(message("daily_digest", "en")).sent
    assert whatsapp.templates()[0]["template"] == {
        "name": "pulih_ringkasan_harian",
        "language": {"code": "en_US"},
    }


def test_whatsapp_requests_go_to_the_configured_base_url_with_its_path_prefix(whatsapp, settings):
    # A proxy in front of the Graph API, mounted under a path: the same request lands below that path.
    settings.WHATSAPP_API_BASE_URL = whatsapp.base_url + "/graph/"
    result = channel("whatsapp").send(message())
    assert result.outcome == Outcome.PERMANENT  # the fake knows no /graph prefix...
    (request,) = whatsapp.received
    assert request.path.startswith("/graph/v") and request.path.endswith(f"/{cloud.PHONE_ID}/messages")
    assert request.headers["Host"] == whatsapp.base_url.removeprefix("http://")  # ...but it got it


def test_whatsapp_429_is_transient_and_carries_retry_after(whatsapp):
    whatsapp.answer(cloud.rate_limited(retry_after=120))
    result = channel("whatsapp").send(message())
    assert (result.outcome, result.error_code, result.retry_after_seconds) == (
        Outcome.TRANSIENT,
        "WA_130429",
        120,
    )


def test_whatsapp_500_is_transient(whatsapp):
    whatsapp.answer(cloud.server_error())
    result = channel("whatsapp").send(message())
    assert (result.outcome, result.error_code) == (Outcome.TRANSIENT, "WA_131000")
    assert len(whatsapp.received) == 1  # no hidden retries in the HTTP layer


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (cloud.undeliverable(PHONE), "WA_131026"),
        (cloud.template_missing(), "WA_132001"),
        (cloud.token_expired(), "WA_190"),
    ],
)
def test_whatsapp_refusals_are_permanent_and_keep_only_the_code(whatsapp, answer, code):
    whatsapp.answer(answer)
    result = channel("whatsapp").send(message())
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT, code)
    assert PHONE not in json.dumps(result.__dict__) and "6281200000011" not in result.error_code


def test_whatsapp_unreachable_is_transient(settings, whatsapp):
    settings.WHATSAPP_API_BASE_URL = unreachable_url()
    result = channel("whatsapp").send(message())
    assert (result.outcome, result.error_code) == (Outcome.TRANSIENT, "ConnectError")


def test_whatsapp_with_an_unknown_template_language_fails_without_a_request(whatsapp, settings):
    settings.WHATSAPP_TEMPLATE_LANGUAGES = {"id": "xx_YY", "en": "en"}
    result = channel("whatsapp").send(message())
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT, "WA_TEMPLATE_LANGUAGE")
    assert whatsapp.received == []


def test_whatsapp_is_configured_only_with_a_phone_id_and_a_token(settings):
    settings.WHATSAPP_PHONE_ID, settings.WHATSAPP_TOKEN = "1", None
    assert not channel("whatsapp").configured
    settings.WHATSAPP_TOKEN = "t"
    assert channel("whatsapp").configured


# --- SMS (HTTP gateway) -------------------------------------------------------------------------------------


def test_sms_posts_the_documented_json_shape(sms):
    result = channel("sms").send(message())
    assert (result.outcome, result.provider_message_id) == (Outcome.SENT, "sms-1")
    (request,) = sms.received
    assert request.headers["Authorization"] == f"Bearer {gateway.GATEWAY_KEY}"
    assert request.headers["Idempotency-Key"] == "7d1f0c2e-0000-4000-8000-000000000001"
    assert request.json == {
        "to": PHONE,
        "text": "Ada tugas mendesak di Pulih. Buka aplikasi.",
        "sender": "PULIH",
        "reference": "7d1f0c2e-0000-4000-8000-000000000001",
    }


@pytest.mark.parametrize(
    ("answer", "outcome", "code", "wait"),
    [
        (gateway.rate_limited(retry_after=90), Outcome.TRANSIENT, "HTTP_429", 90),
        (gateway.rate_limited(), Outcome.TRANSIENT, "HTTP_429", None),
        (gateway.server_error(), Outcome.TRANSIENT, "HTTP_500", None),
        (gateway.bad_number(PHONE), Outcome.PERMANENT, "HTTP_400", None),
        (gateway.Answer(401, {"error": "bad key"}), Outcome.PERMANENT, "HTTP_401", None),
    ],
)
def test_sms_gateway_answers_are_sorted(sms, answer, outcome, code, wait):
    sms.answer(answer)
    result = channel("sms").send(message())
    assert (result.outcome, result.error_code, result.retry_after_seconds) == (outcome, code, wait)
    assert len(sms.received) == 1


def test_sms_unreachable_gateway_is_transient_and_does_not_raise(settings, sms):
    settings.SMS_GATEWAY_URL = unreachable_url("/v1/messages")
    result = channel("sms").send(message())
    assert (result.outcome, result.error_code) == (Outcome.TRANSIENT, "ConnectError")


def test_sms_with_a_url_httpx_cannot_use_is_permanent(settings, sms):
    settings.SMS_GATEWAY_URL = "ftp://127.0.0.1/messages"
    assert channel("sms").send(message()).outcome == Outcome.PERMANENT


# --- push, behind the same interface ------------------------------------------------------------------------


def test_push_adapter_sends_through_firebase_admin_to_the_fake_fcm(fcm):
    out = OutgoingMessage(
        reference="n-1", to=("tok-a",), kind="escalation_offered", language="id", text="Buka.", title="Judul"
    )
    result = channel("push").send(out)
    assert result.sent
    (sent,) = fcm.sent_to("tok-a")
    assert sent["notification"] == {"title": "Judul", "body": "Buka."}
    assert sent["android"]["collapse_key"] == "n-1"


def test_push_adapter_reports_dead_tokens(fcm):
    fcm.answer("tok-dead", fcm_answers.unregistered())
    out = OutgoingMessage(reference="n-2", to=("tok-dead",), kind="k", language="id", text="x")
    result = channel("push").send(out)
    assert (result.outcome, result.dead, result.error_code) == (
        Outcome.PERMANENT,
        ("tok-dead",),
        "UNREGISTERED",
    )
