"""A request body is a JSON object of the declared shape, or 422: never a list, a string, a number or a boolean
read as if it were an empty object (api/schemas/base.py says why it was), and never a loosely coerced boolean
where the meaning is a person's yes or no (consent, may the family be contacted)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from api.main import api as ninja_api
from api.schemas.base import InSchema
from backend.escalations import services as escalation_services
from backend.escalations.models import Escalation
from backend.recovery.models import Consent
from tests.factories import ClientRowFactory, EscalationFactory, FamilyMemberFactory

pytestmark = pytest.mark.django_db

# JSON values of every type that is not an object, and lists that hold what an object would.
NOT_OBJECTS: list[Any] = [[], [{"version": 1}], [None, None], "version", 1, 1.5, True]


def _openapi(api_client: Any) -> dict[str, Any]:
    response = api_client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _send_json(caller: Any, method: str, url: str, body: Any) -> Any:
    """`body` as JSON text, `None` included (as `null`; the Api helper would send no body at all)."""
    return caller._client.generic(
        method.upper(),
        caller.prefix + url,
        data=json.dumps(body),
        content_type="application/json",
        headers=caller._headers(None),
    )


def _operations_with_a_body(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "requestBody" in op
    ]


def _allows_null(op: dict[str, Any]) -> bool:
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    return any(alt.get("type") == "null" for alt in schema.get("anyOf", []))


def test_every_operation_with_a_body_answers_422_to_a_body_that_is_not_an_object(api, cast):
    caller = api.as_(cast.system_admin)
    operations = _operations_with_a_body(_openapi(caller))
    assert len(operations) >= 20  # the walk covers the API, not an empty document
    wrong: list[str] = []
    for method, path, op in operations:
        url = path.removeprefix("/api/v1")
        for name in [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]:
            url = url.replace("{" + name + "}", str(uuid.uuid4()))
        bodies = NOT_OBJECTS if _allows_null(op) else [*NOT_OBJECTS, None]
        for body in bodies:
            response = _send_json(caller, method, url, body)
            if response.status_code != 422 or response.json()["error"]["code"] != "validation_error":
                wrong.append(f"{method.upper()} {path} {body!r}: {response.status_code}")
    assert wrong == []


def _body_models() -> list[tuple[str, type[BaseModel]]]:
    """Every pydantic model a request body is read with, nested ones included, by operation."""
    found: list[tuple[str, type[BaseModel]]] = []

    def walk(where: str, annotation: Any, seen: set[Any]) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            found.append((where, annotation))
            for field in annotation.model_fields.values():
                walk(where, field.annotation, seen)
        for arg in getattr(annotation, "__args__", ()):
            walk(where, arg, seen)

    for prefix, router in ninja_api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for model in operation.signature.models:
                    if model.__ninja_param_source__ == "body":
                        for field in model.model_fields.values():
                            walk(f"{operation.methods} {prefix}{path}", field.annotation, set())
    return found


def test_every_model_a_body_is_read_with_is_an_in_schema_all_the_way_down():
    models = _body_models()
    assert len(models) >= 20
    assert [(where, m.__name__) for where, m in models if not issubclass(m, InSchema)] == []


def test_a_close_with_a_list_body_is_refused_and_the_case_stays_open(api, cast):
    client = ClientRowFactory(
        village=cast.kasongan_baru,
        registered_by=cast.volunteer_katingan,
        volunteers=[cast.volunteer_katingan],
    )
    esc = EscalationFactory(client=client, created_by=cast.volunteer_katingan)
    escalation_services.offer_accept(escalation_id=esc.id, actor=cast.counselor_near)
    counselor = api.as_(cast.counselor_near)

    for body in ([{"version": 1}], [None, None]):
        response = counselor.post(f"/escalations/{esc.id}/close", body)
        assert response.status_code == 422, response.content
        assert response.json()["error"]["details"] == [
            {"field": "body", "code": "model_type", "message": "Format atau tipe nilai tidak valid."}
        ]
    assert Escalation.objects.get(id=esc.id).status == "accepted"
    # The object it stood for gets the stale-version check; no body at all still closes.
    assert counselor.post(f"/escalations/{esc.id}/close", {"version": 1}).status_code == 409
    assert counselor.post(f"/escalations/{esc.id}/close").status_code == 200


def test_a_nested_object_of_the_wrong_type_is_refused(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/clients",
        {"name": "Budi", "sex": "male", "village_code": cast.kasongan_baru.code, "consents": [["referral"]]},
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "consents.0"


@pytest.mark.parametrize("given", [0, 1, "no", "off", "false", "true", "yes", "0", None, 0.0])
def test_a_consent_is_given_or_withdrawn_only_by_true_or_false(api, cast, given):
    client = ClientRowFactory(
        village=cast.kasongan_baru,
        registered_by=cast.volunteer_katingan,
        volunteers=[cast.volunteer_katingan],
    )
    before = Consent.objects.filter(client=client).count()

    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{client.id}/consents", {"scope": "referral", "given": given, "given_by": "client"}
    )

    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"][0]["field"] == "given"
    assert Consent.objects.filter(client=client).count() == before


def test_a_withdrawal_with_false_is_recorded(api, cast):
    client = ClientRowFactory(
        village=cast.kasongan_baru,
        registered_by=cast.volunteer_katingan,
        volunteers=[cast.volunteer_katingan],
    )

    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{client.id}/consents", {"scope": "referral", "given": False, "given_by": "client"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["in_force"]["referral"] is False


def test_consents_at_registration_are_strict_too(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/clients",
        {
            "name": "Budi",
            "sex": "male",
            "village_code": cast.kasongan_baru.code,
            "consents": [{"scope": "data_collection", "given": "yes"}],
        },
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "consents.0.given"


def test_may_the_family_be_contacted_is_strict(api, cast):
    client = ClientRowFactory(
        village=cast.kasongan_baru,
        registered_by=cast.volunteer_katingan,
        volunteers=[cast.volunteer_katingan],
    )
    member = FamilyMemberFactory(client=client, linked_by=cast.volunteer_katingan)
    volunteer = api.as_(cast.volunteer_katingan)

    created = volunteer.post(
        f"/clients/{client.id}/family-members",
        {"id": str(uuid.uuid4()), "name": "Ayah", "relationship": "ayah", "may_contact": "yes"},
    )
    patched = volunteer.patch(
        f"/clients/{client.id}/family-members/{member.id}", {"version": member.version, "may_contact": 1}
    )

    assert (created.status_code, patched.status_code) == (422, 422)
    assert created.json()["error"]["details"][0]["field"] == "may_contact"
    assert patched.json()["error"]["details"][0]["field"] == "may_contact"
