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
