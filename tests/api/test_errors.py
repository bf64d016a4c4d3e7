"""The single error shape of API.md, from every source of error."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_answers_unknown_paths_with_the_error_shape(api):
    response = api.get("/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_it_refuses_requests_without_a_token_in_bahasa_indonesia(api, cast):
    response = api.get("/me")
    assert response.status_code == 401
    body = response.json()["error"]
    assert body["code"] == "unauthenticated"
    assert "Autentikasi" in body["message"]


def test_it_answers_in_english_on_request(api, cast):
    response = api.get("/me", headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert "Authentication" in response.json()["error"]["message"]


def test_health_reports_database_postgis_and_broker(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "postgis": True, "broker": True}


def test_unknown_api_paths_keep_the_error_shape_with_debug_on(api, settings):
    settings.DEBUG = True
    response = api.get("/nowhere/at/all")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_the_openapi_document_lists_the_answers_every_operation_can_give(api, cast):
    """Schemathesis found 400 (unparseable body) and 422 (bad UUID in the path) answered but not documented,
    and the report's CSV/XLSX downloads missing from its 200."""
    document = api.as_(cast.volunteer_katingan).get("/openapi.json").json()
    operations = [op for item in document["paths"].values() for op in item.values() if "responses" in op]
    with_body = [op for op in operations if "requestBody" in op]
    assert with_body and all("400" in op["responses"] and "422" in op["responses"] for op in with_body)
    escalation = document["paths"]["/api/v1/escalations/{escalation_id}"]["get"]["responses"]
    assert "422" in escalation
    report = document["paths"]["/api/v1/reports/monthly"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(report)
