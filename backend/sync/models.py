"""The change log behind `GET /sync/changes`.

Every write that a phone must learn of appends a row here, in the same transaction as the write. The feed
orders rows by (txid, id) and serves only rows whose transaction id is below the oldest transaction still in
flight (`pg_snapshot_xmin(pg_current_snapshot())`): a transaction that commits later always has a txid at or
above that horizon, so a cursor (txid, id) never skips a change committed concurrently. Bare timestamps or
bare serial ids would.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class CurrentTxid(models.Func):
    """pg_current_xact_id() as a bigint (xid8 has no direct cast to bigint)."""

    template = "pg_current_xact_id()::text::bigint"
    output_field = models.BigIntegerField()


class ChangeLog(models.Model):
    id = models.BigAutoField(primary_key=True)
    # pg_current_xact_id() of the writing transaction, set by the database default below.
    txid = models.BigIntegerField(db_default=CurrentTxid(), db_index=True)
    entity = models.CharField(
        max_length=24
    )  # client | family_member | visit | task | escalation | notification ...
    entity_id = models.UUIDField()
    op = models.CharField(max_length=8)  # upsert | delete | leave (left the caller's offline set)
    # What the scope filter needs: the village the record lives in, its client, and a direct recipient.
    village_code = models.CharField(max_length=13, blank=True, db_index=True)
    client_id = models.UUIDField(null=True, blank=True, db_index=True)
    user_id = models.UUIDField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["txid", "id"], name="changelog_cursor_idx")]


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress"
    DONE = "done"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a caller sent with a batch, and the answer it got.

    The row is claimed (inserted, state in_progress) and committed in its own short transaction before the work
    starts, so a concurrent request with the same key sees it; the answer is stored in the work's own
    transaction, so "work committed" and "answer stored" cannot disagree. Rows older than 48 h are purged.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField()
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=IdempotencyState.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The database session that holds the claim ("<pid>:<backend start>"): once that session is gone (the
    # request died, the worker was killed, PostgreSQL restarted), the claim is taken over at once.
    owner = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]


class SyncSetReport(models.Model):
    """A user whose offline set passed settings.SYNC_MAX_SET_SIZE on a first sync: one row per user and day.

    The feed still serves such a user (paged like anyone else); the row is what admins look at to fix the cause
    (usually a role assignment that is too wide for a phone, such as a coordinator using the field app).
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    set_size = models.PositiveIntegerField()
    limit = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="sync_set_report_once_a_day")]
