"""The one way a client's lifecycle status changes; others react to `ClientStatusChanged` (a client entering
post-rehab gets support visits planned by the tasks app)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import ErrorDetail, ValidationFailed
from backend.common.events import publish
from backend.recovery.events import ClientStatusChanged
from backend.recovery.lifecycle import allowed_next, can_transition
from backend.recovery.models import Client, ClientStatusChange
from backend.sync.changelog import change_record


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
