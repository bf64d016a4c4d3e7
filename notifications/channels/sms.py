"""SMS through an HTTP gateway: one provider-neutral JSON shape, the provider chosen by settings.

Pulih POSTs to SMS_GATEWAY_URL (https in production) one message per request:

    POST <SMS_GATEWAY_URL>
    Authorization: Bearer <SMS_GATEWAY_KEY>
    Idempotency-Key: <reference>
    Content-Type: application/json

    {"to": "+6281200000011", "text": "Ada tugas mendesak di Pulih. Buka aplikasi.",
     "sender": "<SMS_SENDER>", "reference": "<reference>"}

`to` is E.164; `reference` is Pulih's id of the message (the same on every retry of it, so a gateway that
keeps it may drop a duplicate). The gateway answers:
- 2xx, JSON `{"id": "<its message id>"}` (`message_id` is read too; a body it cannot read still counts as
  sent): accepted;
- 429 or 503 with an optional `Retry-After` (seconds or HTTP date), 408, any other 5xx: try again later;
- any other 4xx (400 bad number, 401/403 key refused, ...): do not retry.
A provider with its own API (a local aggregator, Twilio, Vonage) is reached through a small relay speaking
this shape, or through a new adapter next to this one; settings choose which (NOTIFY_SECOND_CHANNELS).

Only the status code is kept as the error (HTTP_400); the body is never read for errors, since gateways echo
the number back. One request per send, 10 s timeout, no retries here: retries belong to the outbox.
"""

from __future__ import annotations

import logging

import httpx
from django.conf import settings

from notifications.channels.base import Channel, DeliveryResult, OutgoingMessage, retry_after

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def classify_status(response: httpx.Response) -> DeliveryResult:
    status = response.status_code
    if 200 <= status < 300:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return DeliveryResult.ok()
        return DeliveryResult.ok(str(body.get("id") or body.get("message_id") or ""))
    code = f"HTTP_{status}"
    if status in (408, 429) or status >= 500:
        return DeliveryResult.transient(code, retry_after(response))
    return DeliveryResult.permanent(code)


class SmsChannel(Channel):
    name = "sms"

    @property
    def configured(self) -> bool:
        return bool(settings.SMS_GATEWAY_URL and settings.SMS_GATEWAY_KEY)

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        payload = {
            "to": message.to[0],
            "text": message.text,
            "sender": settings.SMS_SENDER,
            "reference": message.reference,
        }
        headers = {
            "Authorization": f"Bearer {settings.SMS_GATEWAY_KEY}",
            "Idempotency-Key": message.reference,
        }
        try:
            with httpx.Client(timeout=TIMEOUT, transport=httpx.HTTPTransport(retries=0)) as client:
                response = client.post(settings.SMS_GATEWAY_URL, json=payload, headers=headers)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:  # configuration, not worth retrying
            result = DeliveryResult.permanent(f"SMS_{type(exc).__name__}")
        except httpx.HTTPError as exc:  # refused, reset, timed out: the outbox tries again later
            result = DeliveryResult.transient(type(exc).__name__)
        else:
            result = classify_status(response)
        if not result.sent:
            logger.info("sms message %s not sent: %s", message.reference, result.error_code)
        return result
