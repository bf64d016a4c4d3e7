"""The authorization matrix, generated from the OpenAPI document: every operation x every role of the cast x an
object inside the role's scope and one outside it (tests/api/world.py). Outside answers 404 (as a missing
object does), whatever the role; inside, only the roles this matrix names may get a 2xx. An operation of the
document that the matrix does not name fails the suite: whoever adds one decides who may use it.

Each request carries a body that passes validation, so that the answer is the scope's and the policy's, not
422's. Each role's request runs in a savepoint of its own: one role's success changes nothing for the next.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as DjangoClient
from django.utils import timezone

from tests.accounts.login_helpers import fresh_login_counters  # noqa: F401  (autouse: login counters reset)
from tests.api.world import ROLES, World, world_fixture

ALL = frozenset(ROLES)
STAFF = frozenset({"counselor", "assessor"})
FIELD = frozenset({"volunteer", "village_official"})
COORDINATORS = frozenset({"coordinator_regency", "coordinator_province", "system_admin"})
# Everyone who works on a client's record (the assessor only reads it while a case of theirs is open). Counselors
# and facility admins holding the case may correct the record and the family: decision (a) of
# backend/access/policy.py, pinned both ways by tests/api/test_policy_decisions.py, as (b) and (c) are.
CASE_WRITERS = ALL - {"assessor", "no_role"}
PUBLIC = "public"  # no sign-in, no object: /health and the sign-in operations (tests/api/test_auth.py)


def _body_visit(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "visits": [
            {
                "id": str(uuid.uuid4()),
                "client_id": ids["client_id"],
                "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
                "type": "home_visit",
            }
        ]
    }


# "METHOD path" -> (body from the role's ids, query, the roles that may get a 2xx inside their scope). A role that
# passes the policy but meets the object's state (409, or 422 for a transition or screening this body does not
# make valid) counts as allowed: the matrix is about who, not about when.
MATRIX: dict[str, Any] = {
    "GET /health": PUBLIC,
    "POST /auth/login": PUBLIC,
    "POST /auth/firebase": PUBLIC,
    "POST /auth/refresh": PUBLIC,
    "POST /auth/logout": (lambda i: {"refresh": "tidak-ada"}, {}, ALL),
    "GET /me": (None, {}, ALL),
    "PATCH /me/channels": (lambda i: {"sms": True}, {}, ALL),
    "GET /regions/{code}": (None, {}, ALL),
    "GET /villages": (None, {}, ALL),
    "GET /facilities": (None, {}, ALL),
    "POST /devices": (lambda i: {"token": f"new-{uuid.uuid4()}", "platform": "android"}, {}, ALL),
    "DELETE /devices/{token}": (None, {}, ALL),
    "GET /notifications": (None, {}, ALL),
    "GET /notifications/unread-count": (None, {}, ALL),
    "POST /notifications/{notification_id}/read": (None, {}, ALL),
    "POST /clients": (
        lambda i: {
            "name": "Klien Matriks",
            "sex": "male",
            "birth_year": 1990,
            "village_code": "62.06.02.1003",
        },
        {},
        FIELD | COORDINATORS,
    ),
    "GET /clients": (None, {}, ALL),
    "GET /clients/{client_id}": (None, {}, ALL - {"no_role"}),
    "PATCH /clients/{client_id}": (lambda i: {"version": 1, "address": "Jl. Uji"}, {}, CASE_WRITERS),
    "POST /clients/{client_id}/family-members": (
        lambda i: {"id": str(uuid.uuid4()), "name": "Ayah", "relationship": "ayah"},
        {},
        CASE_WRITERS,
    ),
    "PATCH /clients/{client_id}/family-members/{member_id}": (
        lambda i: {"version": 1, "name": "Ibu"},
        {},
        CASE_WRITERS,
    ),
    "DELETE /clients/{client_id}/family-members/{member_id}": (None, {}, CASE_WRITERS),
    "POST /clients/{client_id}/consents": (
        lambda i: {"scope": "contact_family", "given": False, "given_by": "client"},
        {},
        CASE_WRITERS,
    ),
    "POST /clients/{client_id}/transitions": (
        lambda i: {"to": "in_treatment", "reason": "uji"},
        {},
        CASE_WRITERS,
    ),
    "POST /clients/{client_id}/screenings": (
        lambda i: {"id": str(uuid.uuid4()), "answers": {"alcohol": {"q1": False}}},
        {},
        CASE_WRITERS,
    ),
    "GET /clients/{client_id}/visits": (None, {}, CASE_WRITERS),
    "GET /clients/{client_id}/contact-attempts": (None, {}, CASE_WRITERS),
    "GET /clients/{client_id}/corrections": (None, {}, CASE_WRITERS),
    "GET /clients/{client_id}/export": (None, {"format": "json"}, COORDINATORS),
    "POST /clients/{client_id}/erasure": (
        lambda i: {"basis": "subject_request", "request_reference": "REQ-1"},
        {},
        COORDINATORS,
    ),
    "GET /clients/{client_id}/timeline": (None, {}, CASE_WRITERS),
    "POST /sync/visits": (_body_visit, {}, FIELD),
    "GET /sync/changes": (None, {}, ALL),
    "POST /sync/contact-attempts": (lambda i: {"attempts": []}, {}, FIELD),
    "POST /escalations": (  # coordinators register clients but do not escalate: decision (b)
        lambda i: {"client_id": i["client_id"], "need": "counseling", "reason": "uji"},
        {},
        frozenset({"volunteer", "village_official", "system_admin"}),
    ),
    "GET /escalations": (None, {}, ALL),
    "GET /escalations/{escalation_id}": (None, {}, ALL - {"no_role"}),
    "POST /escalations/{escalation_id}/accept": (None, {}, STAFF),
    "POST /escalations/{escalation_id}/decline": (lambda i: {"reason": "uji"}, {}, STAFF),
    "POST /escalations/{escalation_id}/schedule": (
        lambda i: {"appointment_at": (timezone.now() + timedelta(days=2)).isoformat()},
        {},
        frozenset({"counselor", "facility_admin"}),
    ),
    "POST /escalations/{escalation_id}/outcome": (
        lambda i: {"outcome": "outpatient", "notes": "uji"},
        {},
        frozenset({"counselor", "facility_admin"}),
    ),
    "POST /escalations/{escalation_id}/close": (None, {}, frozenset({"counselor", "facility_admin"})),
    "POST /escalations/{escalation_id}/cancel": (
        lambda i: {"reason": "uji"},
        {},
        frozenset({"volunteer", "coordinator_regency", "coordinator_province", "system_admin"}),
    ),
    "POST /escalations/{escalation_id}/assign": (lambda i: {"staff_id": i["staff_id"]}, {}, COORDINATORS),
    "GET /tasks": (None, {}, ALL),
    "POST /tasks/{task_id}/complete": (lambda i: {"note": "uji"}, {}, frozenset({"volunteer"})),
    "GET /reports/monthly": (None, {"area": "62.06", "month": "2026-01"}, COORDINATORS),
    "GET /reports/post-rehab-quota": (None, {"area": "62.06", "year": "2026"}, COORDINATORS),
    "GET /reports/ipwl": (None, {"area": "62.06", "month": "2026-01"}, COORDINATORS),
}


def _operations(doc: dict[str, Any]) -> dict[str, tuple[str, str, list[str]]]:
    found = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                short = path.removeprefix("/api/v1")
                names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
                found[f"{method.upper()} {short}"] = (method, short, names)
    return found


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    yield from world_fixture(django_db_blocker)


@pytest.fixture(scope="module")
def operations(world: World, django_db_blocker: Any) -> dict[str, tuple[str, str, list[str]]]:
    with django_db_blocker.unblock():
        response = DjangoClient().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return _operations(response.json())


def test_every_operation_of_the_document_is_in_the_matrix(operations):
    assert sorted(set(operations) - set(MATRIX)) == []
    assert sorted(set(MATRIX) - set(operations)) == []


def _call(world: World, role: str, op: tuple[str, str, list[str]], ids: dict[str, str], entry: Any) -> int:
    method, path, names = op
    body_of, query, _allowed = entry
    url = "/api/v1" + path
    for name in names:
        url = url.replace("{" + name + "}", ids[name])
    headers = {"Authorization": f"Bearer {world.token(role)}"}
    client = DjangoClient()
    with transaction.atomic():
        if method == "get":
            response = client.get(url, query, headers=headers)
        else:
            body = body_of({**ids, "staff_id": str(world.cast.counselor_near.id)}) if body_of else None
            data = json.dumps(body) if body is not None else None
            response = client.generic(
                method.upper(), url, data=data or "", content_type="application/json", headers=headers
            )
        transaction.set_rollback(True)
    return response.status_code


def _cases() -> list[str]:
    return [name for name, entry in MATRIX.items() if entry != PUBLIC]


@pytest.mark.parametrize("operation", _cases())
def test_no_role_gets_a_2xx_it_should_not_and_outside_is_404(db, world, operations, operation):
    op, entry = operations[operation], MATRIX[operation]
    allowed = entry[2]
    unexpected: list[str] = []
    for role in ROLES:
        inside = _call(world, role, op, world.inside[role], entry)
        if 200 <= inside < 300 and role not in allowed:
            unexpected.append(f"{role} inside: {inside}")
        if op[2] and op[2] != ["code"]:
            outside = _call(world, role, op, world.outside[role], entry)
            if outside != 404:
                unexpected.append(f"{role} outside: {outside}")
    assert unexpected == []
