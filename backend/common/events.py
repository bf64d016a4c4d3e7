"""In-process domain events: a domain announces a fact; other domains react, inside the same transaction.

Recovery records facts (consent withdrawn, screening flagged, status changed, visits logged) and publishes them
here; escalations and tasks subscribe. So recovery never imports them, and the dependency points one way.

Why a small explicit dispatcher and not Django signals: an event is a typed dataclass (its fields are the
contract, checked by mypy and readable in one place), handlers run synchronously in the publisher's transaction
in the order they were registered, an exception in a handler propagates and rolls the transaction back (a
signal's `send_robust` would swallow it), and handlers are registered explicitly in each app's `ready()`, so a
missing handler module fails at start-up, not silently at run time. `subscribers(EventType)` lets a test check
that every fact has its reaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

E = TypeVar("E")
Handler = Callable[[Any], None]

_HANDLERS: dict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E]) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    """Register the decorated function as a handler of `event_type` (once, however often it is imported)."""

    def register(handler: Callable[[E], None]) -> Callable[[E], None]:
        if handler not in _HANDLERS[event_type]:
            _HANDLERS[event_type].append(handler)
        return handler

    return register


def publish(event: object) -> None:
    """Call every handler of the event's type, in registration order, in the caller's transaction."""
    for handler in list(_HANDLERS.get(type(event), ())):
        handler(event)


def subscribers(event_type: type) -> list[Handler]:
    return list(_HANDLERS.get(event_type, ()))
