"""The one way a client's lifecycle status changes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.errors import ErrorDetail, ValidationFailed
from backend.recovery.lifecycle import ClientStatus, allowed_next, can_transition
from backend.recovery.models import Client, ClientStatusChange
from backend.sync.services import change_record


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
        ClientStatusChange.objects.create(
            client=client, from_status=client.status, to_status=to_status, reason=reason, actor=actor
        )
        client.status = to_status
        client.version += 1
        client.updated_at = timezone.now()
        client.save(update_fields=["status", "version", "updated_at"])
        change_record(
            entity="client", entity_id=client.id, village_code=client.village_id, client_id=client.id
        )
        if to_status == ClientStatus.POST_REHAB:
            # Post-rehab support visits (7, 30, 90 days) for the client's volunteers: relapse is likeliest here.
            from backend.escalations.task_rules import post_rehab_tasks_plan
            from villages.models import Region

            tz = Region.objects.values_list("timezone", flat=True).get(code=client.village_id)
            post_rehab_tasks_plan(client_id=client.id, tz=tz)
        return client
