"""The channel interface: one way of reaching a staff member's phone (push, WhatsApp, SMS).

A channel sends one `OutgoingMessage` and says what happened as a `DeliveryResult`, never raising for the
provider's answers or the network, sorted into what the caller (the outbox, notifications.tasks) must do:

- **sent**, with the provider's message id when it gives one;
- **transient**: try again later (network errors, 429, 5xx, throttling codes); `retry_after_seconds` is the
  provider's Retry-After, which the caller honours on top of its own backoff;
- **permanent**: do not retry (a refused message, a template that does not exist, our credentials refused).

`error_code` is a short code (WA_131026, HTTP_400, ConnectError), never the text a provider sends back: that
text may echo the recipient's phone number, and the code is all support needs to look the error up.
Retries belong to the outbox, not to the HTTP layer: adapters make exactly one HTTP request per send.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from notifications.push import retry_after_seconds


class Outcome(enum.StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class OutgoingMessage:
    """What a channel is asked to send. `to`: FCM tokens for push, the recipient's own E.164 number for
    WhatsApp and SMS. `text` is the whole neutral text in the recipient's language; WhatsApp sends the
    approved template of `kind` instead (same words, registered with Meta), in `language`."""

    reference: str  # our id for it (ChannelMessage.id): an idempotency key for providers that take one
    to: tuple[str, ...]
    kind: str
    language: str
    text: str
    title: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    priority: str = "normal"
    ttl_seconds: int | None = None


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    provider_message_id: str = ""
    error_code: str = ""
    retry_after_seconds: float | None = None
    # Addresses the provider called dead (push: FCM tokens to delete); empty for WhatsApp and SMS.
    dead: tuple[str, ...] = ()

    @property
    def sent(self) -> bool:
        return self.outcome == Outcome.SENT

    @property
    def should_retry(self) -> bool:
        return self.outcome == Outcome.TRANSIENT

    @classmethod
    def ok(cls, provider_message_id: str = "", **more: Any) -> DeliveryResult:
        return cls(Outcome.SENT, provider_message_id=provider_message_id[:128], **more)

    @classmethod
    def transient(cls, code: str, retry_after: float | None = None, **more: Any) -> DeliveryResult:
        return cls(Outcome.TRANSIENT, error_code=code[:64], retry_after_seconds=retry_after, **more)

    @classmethod
    def permanent(cls, code: str, **more: Any) -> DeliveryResult:
        return cls(Outcome.PERMANENT, error_code=code[:64], **more)


def retry_after(response: Any) -> float | None:
    """Seconds asked for by a response's Retry-After header (delta-seconds or HTTP date), None if absent."""
    return retry_after_seconds(response)


class Channel(abc.ABC):
    """One channel. Subclasses set `name` and implement `configured` and `send`."""

    name: ClassVar[str]

    @property
    @abc.abstractmethod
    def configured(self) -> bool:
        """Whether settings give it what it needs to send (credentials, endpoint); if not, it is passed over."""

    @abc.abstractmethod
    def send(self, message: OutgoingMessage) -> DeliveryResult:
        """Send once; never raises for the provider's answers or network errors (see DeliveryResult)."""
