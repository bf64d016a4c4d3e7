"""How field tasks react to recovery's facts (backend/common/events.py); registered in TasksConfig.ready()."""

from __future__ import annotations

from backend.common.events import subscribe
from backend.recovery.events import ClientStatusChanged, ConsentWithdrawn, VisitsLogged
from backend.recovery.lifecycle import ClientStatus
from backend.recovery.models import ConsentScope
from backend.tasks.rules import post_rehab_tasks_plan, tasks_cancel_for_client, tasks_complete_for_visits
from backend.tasks.workload import area_task_settings
from villages.models import Region


@subscribe(VisitsLogged)
def complete_tasks_fulfilled_by_visits(event: VisitsLogged) -> None:
    """A logged visit completes the open tasks of its author that it fits (rules.VISIT_TYPES_FOR)."""
    tasks_complete_for_visits(visits=event.visits, logged_by_id=event.logged_by_id)


@subscribe(ClientStatusChanged)
def plan_post_rehab_support(event: ClientStatusChanged) -> None:
    """Post-rehab support visits on the area's schedule (default 7, 30, 90 days) for the client's volunteers:
    relapse is likeliest here."""
    if event.to_status != ClientStatus.POST_REHAB:
        return
    tz = Region.objects.values_list("timezone", flat=True).get(code=event.village_code)
    days = area_task_settings(event.village_code).post_rehab_visit_days
    post_rehab_tasks_plan(client_id=event.client_id, tz=tz, days=days)


@subscribe(ConsentWithdrawn)
def cancel_tasks_on_data_consent_withdrawn(event: ConsentWithdrawn) -> None:
    """No field work about a client who withdrew data-collection consent: every open task of theirs ends."""
    if event.scope == ConsentScope.DATA_COLLECTION:
        tasks_cancel_for_client(client_id=event.client_id)
