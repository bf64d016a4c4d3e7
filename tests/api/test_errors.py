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
