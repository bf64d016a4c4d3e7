"""What every batch a phone uploads (visits, contact attempts) does the same way before its own work: clean each
item, and tell the first occurrence of an id (worked on) from its repeats in the same batch (they copy the first's
answer at the end).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from backend.common.errors import ErrorDetail
from backend.recovery.visits.rules import text_storable


class BatchAnswer(Protocol):
    status: str
    data: Any

    def reject(
        self, code: str, message: Any, field_name: str, details: list[ErrorDetail] | None = None
    ) -> None: ...


A = TypeVar("A", bound=BatchAnswer)


def _echo_id(item: Any) -> str | None:
    """The id an invalid item is answered with: as sent, if it is short text PostgreSQL can store (the answer is
    stored with its Idempotency-Key, so it must not echo what the database refuses)."""
    raw_id = item.get("id") if isinstance(item, dict) else None
    return raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 and text_storable(raw_id) else None


def batch_clean(
    items: list[Any],
    now: datetime,
    *,
    clean: Callable[..., tuple[Any, list[ErrorDetail]]],
    answer: Callable[..., A],
    invalid_message: Any,
) -> tuple[list[A], list[A]]:
    """Clean every item (`clean(data=, now=)`); one answer each (`answer(index=, id=, status=, data=)`), in
    order. Returns (all answers, the first occurrence of each valid id): the caller works on the firsts, and the
    repeats (status `repeat`) copy their first's answer."""
    answers: list[A] = []
    firsts: list[A] = []
    seen: set[Any] = set()
    for index, item in enumerate(items):
        data, errs = clean(data=item, now=now)
        a = answer(index=index, id=str(data.id) if data else _echo_id(item), status="pending", data=data)
        answers.append(a)
        if data is None:
            a.reject("validation_error", invalid_message, errs[0].field, errs)
        elif data.id in seen:
            a.status = "repeat"
        else:
            seen.add(data.id)
            firsts.append(a)
    return answers, firsts
