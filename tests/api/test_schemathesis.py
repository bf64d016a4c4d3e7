"""Schemathesis against the app's own /api/v1/openapi.json, signed in as each role of the cast, on a seeded world
(tests/api/world.py) so that every operation is reached with real ids: no answer is a 5xx, every answer is one
the document declares for the operation, in the declared shape and content type.

Always on: a few examples per operation and role (about a minute). `PULIH_HEAVY=1` runs many more, not
derandomized (issue 12's run: about 26,000 requests as four roles).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.accounts.login_helpers import fresh_login_counters  # noqa: F401  (autouse: login counters reset)
from tests.api.world import ROLES, World, world_fixture

HEAVY = os.environ.get("PULIH_HEAVY") == "1"
EXAMPLES = 40 if HEAVY else 2
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
# The one 5xx that is an answer, not a fault: this machine has no Firebase project (documented as 503).
EXPECTED_5XX = {("POST /api/v1/auth/firebase", 503, "firebase_not_configured")}


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    yield from world_fixture(django_db_blocker)


@pytest.fixture(scope="module")
def schema(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """The document as the app serves it, and the app behind it, called in this process (WSGI). Like Django's
    test client, requests do not close the database connection at their end: they run inside the test's
    transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock():
            yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _expected_5xx(label: str, response: Any) -> bool:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return (label, response.status_code, code) in EXPECTED_5XX


def _exercise(operation: Any, world: World, role: str, mode: GenerationMode) -> list[str]:
    path_names = [p.name for p in operation.path_parameters]
    fixed = {name: world.inside[role][name] for name in path_names if name in world.inside[role]}
    # Negative cases (bodies and queries that break the document) must be refused with a 4xx, never taken.
    extra = [negative_data_rejection] if mode == GenerationMode.NEGATIVE else []
    failures: list[str] = []

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not HEAVY,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    def run(case: Any) -> None:
        # A fresh token each time: a generated POST /auth/logout revokes the one it was sent with.
        # Identity encoding: the in-process WSGI transport does not decode a compressed body as an HTTP client does
        # (the feed answers gzip or Brotli on request: tests/sync/test_feed_wire.py).
        headers = {"Authorization": f"Bearer {world.token(role)}", "Accept-Encoding": "identity"}
        response = case.call(headers=headers)
        # A query parameter the operation does not name is ignored, by design (as most HTTP APIs do: a phone's
        # cache-buster must not break a read); a negative case made of one is no schema break to refuse.
        unknown_query = set(case.query or {}) - {p.name for p in operation.query}
        checks = [*CHECKS, *([] if unknown_query else extra)]
        if response.status_code < 500 or not _expected_5xx(operation.label, response):
            checks.append(not_a_server_error)
        case.validate_response(response, checks=checks, headers=headers)

    try:
        run()
    except Unsatisfiable:
        # Nothing of this operation can be made invalid (no parameters, no body): no negative case exists.
        assert mode == GenerationMode.NEGATIVE, operation.label
    except (Exception, BaseExceptionGroup) as exc:  # reported with the other operations', not instead of them
        failures.append(f"{operation.label} as {role} ({mode}):\n{exc}")
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as_every_role_answers_as_documented(db: None, schema: Any, world: World, role: str):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40  # the whole document, not a part of it

    failures = [
        failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for failure in _exercise(operation, world, role, mode)
    ]

    assert not failures, "\n\n".join(failures)
