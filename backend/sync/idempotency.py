"""`Idempotency-Key` for batch uploads: a replay of a request gets the answer the first one got.

Scoped to the caller: two users may use the same key. The steps of `idempotent_run`:
1. claim the key: `INSERT ... ON CONFLICT DO NOTHING` committed in its own short transaction, so a concurrent
   request with the same key sees the claim at once;
2. someone claimed it before: another payload answers 422 `idempotency_key_reused`; still running answers 409
   `idempotency_in_progress`; done returns the stored answer (same status, same body);
3. do the work, and store the answer in the work's own transaction: both commit or neither;
4. the work failed: the claim is released, so the phone may retry with the same key.

A claim does not outlive the request that made it: it records the database session that holds it (`owner`:
backend pid and start time), and a claim whose session is gone (the request died with its worker, or PostgreSQL
restarted under it) is taken over at once by the next retry. A claim whose session is alive but that has run for
`STALE_CLAIM` (a hung worker; statements time out after 30 s) is taken over too. Keys are kept for 48 h
(`idempotency_keys_purge`, run by Celery beat).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import Conflict, ErrorDetail, ValidationFailed
from backend.sync.models import IdempotencyKey, IdempotencyState

STALE_CLAIM = timedelta(minutes=10)
KEEP_FOR = timedelta(hours=48)

Answer = tuple[int, dict[str, Any]]


def idempotency_key_parse(raw: str | None) -> uuid.UUID | None:
    """The header's value as a UUID; absent is None; anything else is a 422."""
    if raw is None or raw == "":
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationFailed(
            _("Idempotency-Key harus berupa UUID."),
            code="invalid_idempotency_key",
            details=[ErrorDetail("Idempotency-Key", "invalid_uuid", _("Idempotency-Key harus berupa UUID."))],
        ) from None


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    # surrogatepass: a lone surrogate in one item is that item's problem (rejected alone), not the hash's.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


_SESSION_SQL = "SELECT pg_backend_pid() || ':' || (extract(epoch FROM backend_start) * 1000000)::bigint"
_SESSION_TABLE = "FROM pg_stat_activity WHERE pid = pg_backend_pid()"
_SESSION_ALIVE_SQL = (
    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity "
    "WHERE pid || ':' || (extract(epoch FROM backend_start) * 1000000)::bigint = %s)"
)


def _session() -> str:
    """This request's database session, as "<pid>:<backend start in microseconds>"."""
    with connection.cursor() as cursor:
        cursor.execute(f"{_SESSION_SQL} {_SESSION_TABLE}")
        return str(cursor.fetchone()[0])


def _session_alive(owner: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_SESSION_ALIVE_SQL, [owner])
        return bool(cursor.fetchone()[0])


def _claim(user: User, key: uuid.UUID, digest: str) -> int | None:
    """Insert the claim and commit it (its own transaction): the row id, or None if the key was taken."""
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, key, request_hash, state, created_at, owner) "
            f"VALUES (%s, %s, %s, %s, %s, ({_SESSION_SQL} {_SESSION_TABLE})) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [user.id, key, digest, IdempotencyState.IN_PROGRESS, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _claim_abandoned(row: IdempotencyKey) -> bool:
    """The session that claimed it is gone, or it has run longer than any request can (or, for a claim of
    unknown owner, it is that old)."""
    if row.created_at <= timezone.now() - STALE_CLAIM:
        return True
    return bool(row.owner) and not _session_alive(row.owner)


def _take_over_stale(row: IdempotencyKey) -> int | None:
    """A claim abandoned by its request: take it with a conditional UPDATE (one taker wins)."""
    if not _claim_abandoned(row):
        return None
    taken = IdempotencyKey.objects.filter(
        id=row.id, state=IdempotencyState.IN_PROGRESS, created_at=row.created_at, owner=row.owner
    ).update(created_at=timezone.now(), owner=_session())
    return row.id if taken else None


def _existing_answer(user: User, key: uuid.UUID, digest: str) -> Answer | int | None:
    """The stored answer, the id of a stale claim now ours, or None when the row vanished (claim again)."""
    row = IdempotencyKey.objects.filter(user=user, key=key).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise ValidationFailed(
            _("Idempotency-Key ini sudah dipakai untuk permintaan lain."), code="idempotency_key_reused"
        )
    if row.state == IdempotencyState.DONE:
        return row.status_code or 200, row.response or {}
    if (claim_id := _take_over_stale(row)) is not None:
        return claim_id
    raise Conflict(
        _("Permintaan dengan Idempotency-Key ini masih diproses. Coba lagi sebentar lagi."),
        code="idempotency_in_progress",
    )


def idempotent_run(*, user: User, key: uuid.UUID | None, body: Any, work: Callable[[], Answer]) -> Answer:
    """Run `work` in one transaction once per (user, key, payload); see the module docstring."""
    if key is None:
        with transaction.atomic():
            return work()
    digest = request_hash(body)
    claim_id: int | None = None
    for _attempt in range(3):
        claim_id = _claim(user, key, digest)
        if claim_id is not None:
            break
        found = _existing_answer(user, key, digest)
        if isinstance(found, tuple):
            return found
        if found is not None:
            claim_id = found
            break
    if claim_id is None:
        raise Conflict(
            _("Permintaan dengan Idempotency-Key ini masih diproses. Coba lagi sebentar lagi."),
            code="idempotency_in_progress",
        )
    try:
        with transaction.atomic():
            status, answer = work()
            IdempotencyKey.objects.filter(id=claim_id).update(
                state=IdempotencyState.DONE, status_code=status, response=answer
            )
    except BaseException:
        IdempotencyKey.objects.filter(id=claim_id, state=IdempotencyState.IN_PROGRESS).delete()
        raise
    return status, answer


def idempotency_keys_purge(*, older_than: timedelta = KEEP_FOR) -> int:
    """Delete keys older than `older_than` (48 h by default); returns how many."""
    deleted, _counts = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
