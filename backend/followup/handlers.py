"""How the follow-up reacts to recovery's facts (backend/common/events.py); registered in FollowupConfig.ready()."""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.accounts.models import User
from backend.common.events import subscribe
from backend.followup.actions import episodes_end, handovers_close
from backend.followup.reactions import attempts_react, contacts_reached
from backend.followup.rules import FOLLOWED
from backend.recovery.events import ClientStatusChanged, ConsentWithdrawn, ContactAttemptsLogged, VisitsLogged
from backend.recovery.lifecycle import ClientStatus
from backend.recovery.models import ConsentScope
from backend.tasks.models import TaskStatus
from backend.tasks.rules import tasks_complete_for_contacts


@subscribe(ContactAttemptsLogged)
def react_to_contact_attempts(event: ContactAttemptsLogged) -> None:
    """A reached attempt completes its author's any-contact tasks and may end the episode; other results
    (reactions.py) flag the phone, pause after a refusal, ask for a hand-over, or record a death."""
    attempts = sorted(event.attempts, key=lambda a: (str(a.client_id), a.occurred_at, str(a.id)))
    tasks_complete_for_contacts(attempts=attempts, logged_by_id=event.logged_by_id)
    attempts_react(attempts=attempts, actor=User.objects.get(id=event.logged_by_id))


@subscribe(VisitsLogged)
def visits_are_contacts(event: VisitsLogged) -> None:
    """A stored visit is a contact: a lost_contact client resumes, an episode ends."""
    seen: dict[uuid.UUID, datetime] = {}
    for visit in event.visits:
        seen[visit.client_id] = max(visit.occurred_at, seen.get(visit.client_id, visit.occurred_at))
    contacts_reached(contacts=seen, actor=User.objects.filter(id=event.logged_by_id).first())


@subscribe(ConsentWithdrawn)
def stop_on_consent_withdrawn(event: ConsentWithdrawn) -> None:
    """No follow-up without data collection consent: open follow-up and hand-over tasks are cancelled."""
    if event.scope != ConsentScope.DATA_COLLECTION:
        return
    episodes_end(client_ids=[event.client_id], status=TaskStatus.CANCELLED)
    handovers_close(client_ids=[event.client_id], status=TaskStatus.CANCELLED)


@subscribe(ClientStatusChanged)
def stop_when_no_longer_followed(event: ClientStatusChanged) -> None:
    """A client out of the followed statuses (an exit, recovered, inpatient) ends the episode (tasks cancelled);
    a move closes the hand-over the coordinator held (done), a death cancels it."""
    if event.to_status in FOLLOWED:
        return
    episodes_end(client_ids=[event.client_id], status=TaskStatus.CANCELLED)
    if event.to_status in (ClientStatus.MOVED, ClientStatus.DECEASED):
        done = event.to_status == ClientStatus.MOVED
        handovers_close(
            client_ids=[event.client_id], status=TaskStatus.DONE if done else TaskStatus.CANCELLED
        )
