"""The channels a staff member can be reached on, behind one interface (base.Channel): push (FCM), WhatsApp
(Cloud API, pywa) and SMS (an HTTP gateway). Settings choose which and in what order:
NOTIFY_CHANNELS = ["push", *NOTIFY_SECOND_CHANNELS] (default push, whatsapp, sms). Push goes first, always,
through the push outbox; the second channels are for what a push did not bring to anyone's eyes (an urgent
offer left unopened, the digest of someone with no working push token), each only if configured and only to
those who opted in (ChannelPreference). Their outbox is notifications.channels.outbox.
"""

from __future__ import annotations

from django.conf import settings

from notifications.channels.base import Channel, DeliveryResult, Outcome, OutgoingMessage
from notifications.channels.push import PushChannel
from notifications.channels.sms import SmsChannel
from notifications.channels.whatsapp import WhatsAppChannel

__all__ = [
    "Channel",
    "DeliveryResult",
    "OutgoingMessage",
    "Outcome",
    "SECOND_CHANNEL_NAMES",
    "channel",
    "channels_in_order",
    "second_channels",
]

_REGISTRY: dict[str, type[Channel]] = {
    PushChannel.name: PushChannel,
    WhatsAppChannel.name: WhatsAppChannel,
    SmsChannel.name: SmsChannel,
}
# Channels a person opts in to (ChannelPreference has a field for each).
SECOND_CHANNEL_NAMES = (WhatsAppChannel.name, SmsChannel.name)


def channel(name: str) -> Channel:
    """The channel called `name`; an unknown name is a programming error (KeyError)."""
    return _REGISTRY[name]()


def channels_in_order() -> list[Channel]:
    """Every channel settings enable, in their order: push first, then NOTIFY_SECOND_CHANNELS."""
    return [channel(name) for name in settings.NOTIFY_CHANNELS]


def second_channels() -> list[Channel]:
    """The enabled second channels that are configured, in order of preference."""
    return [c for c in channels_in_order() if c.name in SECOND_CHANNEL_NAMES and c.configured]
