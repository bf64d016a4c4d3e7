"""A date and time in a request body is an ISO 8601 string with its offset, or it is refused with a stable code:
never a number read as a Unix time (`"screened_at": 0` was 1 January 1970, `1700000000` a plausible moment), and
never a naive time (Indonesia has three zones: without its offset a time is off by up to two hours).

The walk finds every `format: date-time` in the request bodies of the OpenAPI document, items of upload batches
included, and sends each operation a body whose date-time is wrong: a 422 must name the field (a body checked as
a whole), or the batch's answer must reject the item naming the field (an upload, whose items are checked one by
one).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from backend.escalations.models import Escalation
from tests.escalations.conftest import make_client
from tests.factories import EscalationFactory

pytestmark = pytest.mark.django_db

NUMBERS: list[Any] = [0, 1700000000, 1.7e9, "1700000000", True]
NAIVE = ["2026-11-28T09:30:00", "2026-11-28 09:30"]
NOT_ISO = ["28/11/2026 09:30", "yesterday", "2026-11-28", ""]
# The codes a wrong date-time is answered with: from the body's schema (422), or from an upload's item check.
CODES_NOT_A_DATETIME = {"datetime_parsing", "invalid"}
CODES_NAIVE = {"timezone_required"}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _datetime_pointers(doc: dict[str, Any], schema: dict[str, Any], at: tuple[Any, ...] = ()) -> list[tuple]:
    """Paths to every date-time in `schema`: object keys, and 0 for an item of an array."""
    schema = _resolve(doc, schema)
    if schema.get("format") == "date-time":
        return [at]
    found = []
    for alt in schema.get("anyOf", []) + schema.get("allOf", []) + schema.get("oneOf", []):
        found += _datetime_pointers(doc, alt, at)
    for name, prop in schema.get("properties", {}).items():
        found += _datetime_pointers(doc, prop, (*at, name))
    if "items" in schema:
        found += _datetime_pointers(doc, schema["items"], (*at, 0))
    return found


def datetime_fields(doc: dict[str, Any]) -> list[tuple[str, str, tuple]]:
    """(method, path, pointer) of every date-time a request body may carry."""
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "requestBody" not in op:
                continue
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            out += [(method, path, pointer) for pointer in _datetime_pointers(doc, schema)]
    return out


def _body_with(pointer: tuple, value: Any) -> Any:
    """The smallest body holding `value` at `pointer` (the other fields missing: each is reported on its own)."""
    body: Any = value
    for key in reversed(pointer):
        body = [body] if key == 0 else {key: body}
    return body


def _codes_for(response: Any, field: str) -> set[str]:
    """The codes the answer gives `field`: of a 422, or of the rejected items of an upload."""
    data = response.json()
    if response.status_code == 422:
        details = data["error"]["details"]
    else:
        assert response.status_code == 200, (response.status_code, data)
        details = [d for result in data["results"] for d in result.get("error", {}).get("details", [])]
    return {d["code"] for d in details if d["field"].rsplit(".", 1)[-1] == field}


@pytest.fixture
def fields(api, cast) -> list[tuple[str, str, tuple]]:  # type: ignore[no-untyped-def]
    doc = api.as_(cast.system_admin).get("/openapi.json").json()
    return datetime_fields(doc)


def _send(caller: Any, method: str, path: str, body: Any) -> Any:
    url = path.removeprefix("/api/v1")
    for name in ("client_id", "escalation_id", "task_id", "member_id", "visit_id", "id"):
        url = url.replace("{" + name + "}", str(uuid.uuid4()))
    return caller._client.generic(
        method.upper(),
        caller.prefix + url,
        data=json.dumps(body),
        content_type="application/json",
        headers={**caller._headers(None), "Idempotency-Key": str(uuid.uuid4())},
    )


def test_the_walk_finds_every_date_time_a_request_may_carry(fields):
    """The walk is not empty: the operations known to take a date-time are all found (a new one joins by itself)."""
    found = {(method, path, pointer[-1]) for method, path, pointer in fields}
    assert {
        ("post", "/api/v1/sync/visits", "occurred_at"),
        ("post", "/api/v1/sync/contact-attempts", "occurred_at"),
        ("post", "/api/v1/clients/{client_id}/screenings", "screened_at"),
        ("post", "/api/v1/escalations/{escalation_id}/schedule", "appointment_at"),
    } <= found


@pytest.mark.parametrize("value", NUMBERS, ids=repr)
def test_a_number_is_never_read_as_a_unix_time(api, cast, fields, value):
    caller = api.as_(cast.volunteer_katingan)  # a field worker: uploads are theirs
    wrong = []
    for method, path, pointer in fields:
        codes = _codes_for(_send(caller, method, path, _body_with(pointer, value)), pointer[-1])
        if not codes & CODES_NOT_A_DATETIME:
            wrong.append(f"{method.upper()} {path} {pointer}: {sorted(codes)}")
    assert wrong == []


@pytest.mark.parametrize("value", NOT_ISO, ids=repr)
def test_a_text_that_is_not_an_iso_8601_date_time_is_refused(api, cast, fields, value):
    caller = api.as_(cast.volunteer_katingan)
    wrong = []
    for method, path, pointer in fields:
        codes = _codes_for(_send(caller, method, path, _body_with(pointer, value)), pointer[-1])
        if not codes & (CODES_NOT_A_DATETIME | CODES_NAIVE):  # a date alone: a time at midnight, without zone
            wrong.append(f"{method.upper()} {path} {pointer}: {sorted(codes)}")
    assert wrong == []


@pytest.mark.parametrize("value", NAIVE)
def test_a_date_time_without_its_offset_is_refused_everywhere(api, cast, fields, value):
    caller = api.as_(cast.volunteer_katingan)  # a field worker: uploads are theirs
    wrong = []
    for method, path, pointer in fields:
        codes = _codes_for(_send(caller, method, path, _body_with(pointer, value)), pointer[-1])
        if codes != CODES_NAIVE:
            wrong.append(f"{method.upper()} {path} {pointer}: {sorted(codes)}")
    assert wrong == []


def test_the_document_says_every_date_time_is_a_string(api, cast):
    doc = api.as_(cast.system_admin).get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert schemas["ScreeningIn"]["properties"]["screened_at"]["anyOf"][0] == {
        "type": "string",
        "format": "date-time",
    }
    assert schemas["ScheduleIn"]["properties"]["appointment_at"]["type"] == "string"


def _accepted_by_counselor_near(api: Any, cast: Any) -> Escalation:
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    escalation = EscalationFactory(client=client, created_by=cast.volunteer_katingan)
    assert api.as_(cast.counselor_near).post(f"/escalations/{escalation.id}/accept").status_code == 200
    return escalation


def test_a_schedule_with_a_unix_time_is_refused_and_the_case_keeps_no_appointment(api, cast):
    """Found by review: `"appointment_at": 1900000000` was read as a Unix time (2030) and scheduled."""
    escalation = _accepted_by_counselor_near(api, cast)
    response = api.as_(cast.counselor_near).post(
        f"/escalations/{escalation.id}/schedule", {"appointment_at": 1900000000}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0] == {
        "field": "appointment_at",
        "code": "datetime_parsing",
        "message": "Format atau tipe nilai tidak valid.",
    }
    escalation.refresh_from_db()
    assert escalation.appointment_at is None


def test_a_schedule_with_an_offset_is_taken(api, cast):
    escalation = _accepted_by_counselor_near(api, cast)
    when = (datetime.now().astimezone() + timedelta(days=3)).replace(microsecond=0)
    response = api.as_(cast.counselor_near).post(
        f"/escalations/{escalation.id}/schedule", {"appointment_at": when.isoformat()}
    )
    assert response.status_code == 200, response.json()
    escalation.refresh_from_db()
    assert escalation.appointment_at == when
