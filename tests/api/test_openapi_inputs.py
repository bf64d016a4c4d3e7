"""The OpenAPI document describes the inputs the server checks (so the app's generated client and a fuzzer know
them), and the server takes what the document says and refuses what it does not: `near`, `month`, the
`Idempotency-Key` header, phones, and dates (`due_before`, `birth_date`: YYYY-MM-DD, never a Unix time)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from api.schemas.base import MONTH_PATTERN, NEAR_PATTERN, PHONE_PATTERN
from tests.factories import ClientRowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(api, cast) -> dict[str, Any]:
    response = api.as_(cast.volunteer_katingan).get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _param(doc: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    (param,) = [p for p in doc["paths"]["/api/v1" + path][method]["parameters"] if p["name"] == name]
    return param


def _string_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The string alternative of an optional value's schema (`anyOf: [string, null]`)."""
    (string,) = [s for s in schema.get("anyOf", [schema]) if s.get("type") == "string"]
    return string


def _field(doc: dict[str, Any], component: str, name: str) -> dict[str, Any]:
    return doc["components"]["schemas"][component]["properties"][name]


def test_the_document_gives_each_input_its_pattern_or_format(doc):
    for path in ("/villages", "/facilities"):
        assert _string_schema(_param(doc, "get", path, "near")["schema"])["pattern"] == NEAR_PATTERN
    assert _param(doc, "get", "/reports/monthly", "month")["schema"]["pattern"] == MONTH_PATTERN
    for path in ("/sync/visits", "/sync/contact-attempts"):
        header = _param(doc, "post", path, "Idempotency-Key")
        assert (header["in"], header["required"], header["schema"]["format"]) == ("header", False, "uuid")
    assert _string_schema(_param(doc, "get", "/tasks", "due_before")["schema"])["format"] == "date"
    for component in ("ClientCreateIn", "ClientPatchIn"):
        assert _string_schema(_field(doc, component, "birth_date"))["format"] == "date"
    for component in ("LoginIn", "ClientCreateIn", "ClientPatchIn", "FamilyMemberIn", "FamilyMemberPatchIn"):
        assert _string_schema(_field(doc, component, "phone"))["pattern"] == PHONE_PATTERN


# --- the server agrees with the document -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "near", ["-1.9,113.4", " -1.9 , 113.4 ", "0,0", "\u0661,\u0661", "-1.9;113.4", "-1.9,113.4\n", "1e1,2"]
)
def test_near_is_taken_exactly_when_it_matches_the_pattern(api, cast, near):
    response = api.as_(cast.volunteer_katingan).get("/villages", near=near)

    documented = re.fullmatch(NEAR_PATTERN.strip("^$"), near) is not None
    assert (response.status_code == 200) is documented, response.content


@pytest.mark.parametrize(
    "month",
    ["2025-06", "2026-13", "1999-12", "2026-1", "\uff12\uff10\uff12\uff15-06", "2025-06\n", " 2025-06"],
)
def test_month_is_taken_exactly_when_it_matches_the_pattern(api, cast, month):
    response = api.as_(cast.coordinator_katingan).get("/reports/monthly", area="62.06", month=month)

    if re.fullmatch(MONTH_PATTERN.strip("^$"), month):
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["code"] == "invalid_month"


@pytest.mark.parametrize("due_before", ["0", "1700000000", "2026-1-5", "05-01-2026", "2026-02-30"])
def test_due_before_is_a_date_written_yyyy_mm_dd_not_a_unix_time(api, cast, due_before):
    response = api.as_(cast.volunteer_katingan).get("/tasks", due_before=due_before)

    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"][0]["field"] == "due_before"


def test_due_before_as_a_date_filters(api, cast):
    response = api.as_(cast.volunteer_katingan).get("/tasks", due_before="2026-01-05")

    assert response.status_code == 200


@pytest.mark.parametrize("birth_date", [0, 946684800, "946684800", "2000/01/01"])
def test_a_birth_date_is_never_read_from_a_number(api, cast, birth_date):
    response = api.as_(cast.volunteer_katingan).post(
        "/clients",
        {"name": "Budi", "sex": "male", "birth_date": birth_date, "village_code": cast.kasongan_baru.code},
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "birth_date"


@pytest.mark.parametrize(
    "phone", ["0812 3456 7890", "+62 812-3456-7890", "6281234567890", "(0812) 3456.7890"]
)
def test_phones_as_people_type_them_match_the_pattern_and_are_taken(api, cast, phone):
    assert re.fullmatch(PHONE_PATTERN.strip("^$"), phone)
    response = api.as_(cast.volunteer_katingan).post(
        "/clients",
        {
            "name": "Budi",
            "sex": "male",
            "birth_year": 1990,
            "phone": phone,
            "village_code": cast.kasongan_baru.code,
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "+6281234567890"


@pytest.mark.parametrize(
    "phone", ["0812-CALL-NOW", "tel:+6281234567890", "0812/3456/7890", "\uff10812345678"]
)
def test_a_phone_outside_the_pattern_is_refused_on_phone(api, cast, phone):
    assert not re.fullmatch(PHONE_PATTERN.strip("^$"), phone)
    volunteer = api.as_(cast.volunteer_katingan)
    client = ClientRowFactory(
        village=cast.kasongan_baru,
        registered_by=cast.volunteer_katingan,
        volunteers=[cast.volunteer_katingan],
    )

    for response in (
        volunteer.post(
            "/clients",
            {
                "name": "Budi",
                "sex": "male",
                "birth_year": 1990,
                "phone": phone,
                "village_code": "62.06.02.1003",
            },
        ),
        volunteer.post(
            f"/clients/{client.id}/family-members",
            {"id": str(uuid.uuid4()), "name": "Ayah", "relationship": "ayah", "phone": phone},
        ),
        api.post("/auth/login", {"phone": phone, "password": "rahasia-uji-123"}),
    ):
        assert response.status_code == 422, response.content
        assert response.json()["error"]["details"][0]["field"] == "phone"
