"""The one way a client's lifecycle status changes; others react to `ClientStatusChanged` (a client entering
post-rehab gets support visits planned by the tasks app)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import ErrorDetail, ValidationFailed
from backend.common.events import publish
from backend.recovery.events import ClientStatusChanged
from backend.recovery.lifecycle import allowed_next, can_transition
from backend.recovery.models import Client, ClientStatusChange
from backend.sync.changelog import change_record, change_record_many


def client_transition(*, client_id, to_status: str, actor: User | None, reason: str = "") -> Client:  # type: ignore[no-untyped-def]
    """Move a client to `to_status` if the lifecycle allows it; history row, version bump and change log.

    Takes the row lock so two concurrent transitions are applied one after the other, each validated against
    the status the other left.
    """
    with transaction.atomic():
        client = Client.objects.select_for_update().get(id=client_id)
        if not can_transition(client.status, to_status):
            raise ValidationFailed(
                _("Perubahan status tidak diizinkan."),
                code="invalid_transition",
                details=[
                    ErrorDetail(
                        "to",
                        "invalid_transition",
                        _("Status berikut yang diizinkan: %(allowed)s")
                        % {"allowed": ", ".join(sorted(allowed_next(client.status)))},
                    )
                ],
            )
        from_status = client.status
        ClientStatusChange.objects.create(
            client=client, from_status=from_status, to_status=to_status, reason=reason, actor=actor
        )
        client.status = to_status
        client.version += 1
        client.updated_at = timezone.now()
        client.save(update_fields=["status", "version", "updated_at"])
        change_record(
            entity="client", entity_id=client.id, village_code=client.village_id, client_id=client.id
        )
        publish(
            ClientStatusChanged(
                client_id=client.id,
                village_code=client.village_id,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
            )
        )
        return client


def clients_transition_many(
    *, targets: dict[uuid.UUID, str], from_status: str, actor: User | None, reason: str = ""
) -> list[uuid.UUID]:
    """Move each client of `targets` that is in `from_status` to its target status, as `client_transition` does
    for one (history row, version bump, change log, `ClientStatusChanged`), in a fixed number of statements: a
    batch's reactions (e.g. lost_contact clients seen again by an upload of visits) move many clients at once.

    The rows are locked in id order (concurrent batches wait for each other rather than deadlock); a client
    found under the lock in another status, or whose target the lifecycle refuses, is left as is. Returns the
    clients moved, in id order."""
    if not targets:
        return []
    with transaction.atomic():
        rows = list(
            Client.objects.select_for_update()
            .filter(id__in=list(targets), status=from_status)
            .order_by("id")
            .values_list("id", "village_id")
        )
        moves = [(cid, village) for cid, village in rows if can_transition(from_status, targets[cid])]
        if not moves:
            return []
        now = timezone.now()
        ClientStatusChange.objects.bulk_create(
            [
                ClientStatusChange(
                    client_id=cid,
                    from_status=from_status,
                    to_status=targets[cid],
                    reason=reason,
                    actor=actor,
                    at=now,
                )
                for cid, _village in moves
            ]
        )
        for to_status in sorted({targets[cid] for cid, _v in moves}):
            Client.objects.filter(id__in=[cid for cid, _v in moves if targets[cid] == to_status]).update(
                status=to_status, version=F("version") + 1, updated_at=now
            )
        change_record_many(entity="client", rows=[(cid, village, cid) for cid, village in moves])
        for cid, village in moves:
            publish(
                ClientStatusChanged(
                    client_id=cid,
                    village_code=village,
                    from_status=from_status,
                    to_status=targets[cid],
                    actor=actor,
                )
            )
        return [cid for cid, _v in moves]
