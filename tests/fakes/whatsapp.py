"""A local stand-in for the WhatsApp Cloud API's send endpoint, `POST /v<version>/<phone id>/messages`.

pywa runs its real send path against it: Pulih's WhatsApp channel builds pywa's `WhatsApp` client on an httpx
session whose transport sends what pywa addresses to graph.facebook.com to WHATSAPP_API_BASE_URL, here this
fake. It checks the bearer token and the phone id, records every request, and answers as the Cloud API does:
`{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]}` or the Graph
API's error body `{"error": {"message", "type", "code", "error_data", "fbtrace_id"}}`, with scriptable errors
(https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).

Usage: the `whatsapp` fixture (import `whatsapp_fake` into a test module) starts a fake and points the
settings at it; `whatsapp.answer(rate_limited(120))` scripts the next answers; `whatsapp.templates()` lists
the message bodies sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.sms import Answer, Received, ScriptedServer

PHONE_ID = "109876543210"
TOKEN = "fake-whatsapp-cloud-api-token"
_SEND_PATH = re.compile(r"^/v(?P<version>[0-9.]+)/(?P<phone_id>[^/]+)/messages$")


def _error(http: int, code: int, message: str, headers: dict[str, str] | None = None, **more: Any) -> Answer:
    error = {
        "message": f"(#{code}) {message}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message},
        "fbtrace_id": "AbCdEfFakeTrace",
        **more,
    }
    return Answer(http, {"error": error}, headers or {})


def rate_limited(retry_after: int | None = None) -> Answer:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return _error(429, 130429, "Rate limit hit", headers)


def server_error() -> Answer:
    return _error(500, 131000, "Something went wrong", is_transient=True)


def undeliverable(phone: str) -> Answer:
    # The Cloud API's message text may name the number: Pulih keeps only the code (WA_131026).
    return _error(400, 131026, f"Message undeliverable to {phone}")


def template_missing() -> Answer:
    return _error(404, 132001, "Template name does not exist in the translation")


def token_expired() -> Answer:
    return _error(401, 190, "Error validating access token: Session has expired")


class FakeWhatsApp(ScriptedServer):
    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def sends(self) -> list[Received]:
        return [r for r in self.received if _SEND_PATH.match(r.path)]

    def templates(self) -> list[dict[str, Any]]:
        """The message bodies POSTed to the send endpoint, in order."""
        return [r.json for r in self.sends()]

    def respond(self, received: Received) -> Answer:
        match = _SEND_PATH.match(received.path)
        if match is None:
            return _error(400, 100, "Unknown path components")
        if received.headers.get("Authorization") != f"Bearer {TOKEN}":
            return token_expired()
        if match["phone_id"] != PHONE_ID:
            return _error(400, 100, "Unsupported post request: wrong phone number id")
        to = received.json["to"]
        with self._lock:
            self.sent += 1
            n = self.sent
        return Answer(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.FAKE{n:06d}"}],
            },
        )


@pytest.fixture(name="whatsapp")
def whatsapp_fake(settings) -> Iterator[FakeWhatsApp]:
    """A fake Cloud API, and settings pointing the WhatsApp channel at it."""
    fake = FakeWhatsApp().start()
    settings.WHATSAPP_API_BASE_URL = fake.base_url
    settings.WHATSAPP_PHONE_ID = PHONE_ID
    settings.WHATSAPP_TOKEN = TOKEN
    settings.WHATSAPP_TEMPLATE_URGENT = "pulih_tugas_mendesak"
    settings.WHATSAPP_TEMPLATE_DIGEST = "pulih_ringkasan_harian"
    settings.WHATSAPP_TEMPLATE_LANGUAGES = {"id": "id", "en": "en"}
    yield fake
    fake.stop()
