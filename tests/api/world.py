"""A small seeded world for the tests that walk the whole OpenAPI document (schemathesis, the authorization
matrix): the cast, and for each role the ids of objects it may see (`inside`) and of objects it may not
(`outside`), one for every path parameter of the API. Built through the real services (tests/factories.py).

Inside is Kasongan Baru (Katingan): a client with a family member, a visit, a counselling case accepted by the
near counselor, an assessment case offered to the near assessor, the volunteer's task. Outside is Ampenan
Selatan (Mataram): the same, for the Mataram volunteer and counselor. Every user has a notification and a device
of their own; another user's are outside.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from backend.accounts.models import User
from backend.accounts.tokens import access_token_issue
from backend.escalations.services import offer_accept
from backend.tasks.models import Task
from notifications.devices import device_register
from tests.cast import Cast, cast_build
from tests.factories import (
    CASE_CONSENTS,
    ClientFactory,
    EscalationFactory,
    FamilyMemberFactory,
    NotificationFactory,
    TaskFactory,
    VisitFactory,
)
from tests.module_data import built_for_module

# The roles of the cast, by the name the tests use: one user each (tests/cast.py).
ROLE_USERS = {
    "volunteer": "volunteer_katingan",
    "village_official": "official_katingan",
    "counselor": "counselor_near",
    "assessor": "assessor_near",
    "facility_admin": "facility_admin_kasongan",
    "coordinator_regency": "coordinator_katingan",
    "coordinator_province": "coordinator_kalteng",
    "system_admin": "system_admin",
    "no_role": "nobody",
}
ROLES = tuple(ROLE_USERS)


@dataclass(frozen=True)
class World:
    cast: Cast
    users: dict[str, User]  # role -> the user
    inside: dict[str, dict[str, str]]  # role -> path parameter -> an id the role may see
    outside: dict[str, dict[str, str]]  # role -> path parameter -> an id the role may not see

    def __repr__(self) -> str:
        return "World(the cast, a case inside Katingan and one outside in Mataram)"

    def token(self, role: str) -> str:
        return access_token_issue(user_id=self.users[role].id)[0]


def _side(volunteer: User, counselor: User, village: Any) -> dict[str, Any]:
    client = ClientFactory(
        registered_by=volunteer,
        village=village,
        volunteers=[volunteer],
        consents=(*CASE_CONSENTS, "contact_family"),
    )
    member = FamilyMemberFactory(client=client, linked_by=volunteer, phone="081377770001")
    VisitFactory(client=client, logged_by=volunteer)
    counselling = EscalationFactory(client=client, created_by=volunteer)
    offer_accept(escalation_id=counselling.id, actor=counselor)
    task = Task.objects.filter(client=client, assignee=volunteer).first() or TaskFactory(
        client=client, assignee=volunteer, escalation=counselling
    )
    return {"client": client, "member": member, "counselling": counselling, "task": task}


def world_build() -> World:
    cast = cast_build()
    users = {role: getattr(cast, attr) for role, attr in ROLE_USERS.items()}
    inside = _side(cast.volunteer_katingan, cast.counselor_near, cast.kasongan_baru)
    outside = _side(cast.volunteer_mataram, cast.counselor_mataram, cast.ampenan_selatan)
    assessment = EscalationFactory(
        client=inside["client"], created_by=cast.volunteer_katingan, need="assessment"
    )
    stranger_notification = NotificationFactory(recipient=cast.volunteer_mataram)
    device_register(
        user=cast.volunteer_mataram, token="token-of-another-user", platform="android", app_version="1"
    )

    ids_in: dict[str, dict[str, str]] = {}
    ids_out: dict[str, dict[str, str]] = {}
    for role, user in users.items():
        token = f"token-{role}"
        device_register(user=user, token=token, platform="android", app_version="1")
        escalation = assessment if role == "assessor" else inside["counselling"]
        ids_in[role] = {
            "client_id": str(inside["client"].id),
            "member_id": str(inside["member"].id),
            "escalation_id": str(escalation.id),
            "task_id": str(inside["task"].id),
            "notification_id": str(NotificationFactory(recipient=user).id),
            "token": token,
            "code": "62.06",
        }
        ids_out[role] = {
            "client_id": str(outside["client"].id),
            "member_id": str(outside["member"].id),
            "escalation_id": str(outside["counselling"].id),
            "task_id": str(outside["task"].id),
            "notification_id": str(stranger_notification.id),
            "token": "token-of-another-user",
            "code": "62.06",  # regions are public reference data: nothing is outside
        }
    # The system admin's scope is the country: outside it are only other users' notifications and devices, and
    # objects that do not exist.
    ids_out["system_admin"] |= {
        k: v for k, v in unknown_ids().items() if k in ("client_id", "member_id", "escalation_id", "task_id")
    }
    return World(cast=cast, users=users, inside=ids_in, outside=ids_out)


def world_fixture(django_db_blocker: Any) -> Iterator[World]:
    """Build the world once for a module-scoped fixture (tests/module_data.py): each test then runs in a
    savepoint inside it."""
    yield from built_for_module(django_db_blocker, world_build)


def unknown_ids() -> dict[str, str]:
    return {
        "client_id": str(uuid.uuid4()),
        "member_id": str(uuid.uuid4()),
        "escalation_id": str(uuid.uuid4()),
        "task_id": str(uuid.uuid4()),
        "notification_id": str(uuid.uuid4()),
        "token": "no-such-token",
        "code": "99.99",
    }
