"""Push as a channel: an adapter over notifications.push (FCM), which stays the only module that talks to FCM.

The push outbox (notifications.tasks.push_notification) keeps calling notifications.push directly; this adapter
puts push behind the same interface as WhatsApp and SMS, for code that treats channels alike.
"""

from __future__ import annotations

from django.conf import settings

from notifications import push
from notifications.channels.base import Channel, DeliveryResult, OutgoingMessage


class PushChannel(Channel):
    name = "push"

    @property
    def configured(self) -> bool:
        return bool(settings.PUSH_ENABLED)

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        """One push to every token in `message.to`: sent if any phone got it, as the push outbox counts it."""
        result = push.send_to_tokens(
            list(message.to),
            message.title,
            message.text,
            dict(message.data),
            message.priority,
            message.ttl_seconds,
            collapse_id=message.reference,
        )
        code = ",".join(sorted(set(result.errors.values())))
        dead = tuple(result.dead)
        if result.sent:
            return DeliveryResult.ok(error_code=code, dead=dead)
        if result.should_retry:
            return DeliveryResult.transient(code, result.retry_after_seconds, dead=dead)
        return DeliveryResult.permanent(code or "NO_TOKEN", dead=dead)
