"""Input PostgreSQL would choke on, and non-JSON errors, still answer in the API's error shape."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_nul_character_in_a_json_body_is_refused_before_it_reaches_the_database(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/devices", {"token": "abc\u0000def", "platform": "android"}
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["code"] == "nul_character"


def test_a_nul_character_in_the_query_is_refused(api, cast):
    response = api.as_(cast.volunteer_katingan).get("/villages", q="Kas\x00ongan")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "query"


def test_a_literal_backslash_u_text_is_not_mistaken_for_a_nul(api, cast):
    # The characters "\u0000" typed as text arrive JSON-escaped as "\\u0000": that is not a NUL.
    response = api.as_(cast.volunteer_katingan).post(
        "/devices", {"token": "tok\\u0000en", "platform": "android"}
    )
    assert response.status_code in (200, 201)


def test_a_method_that_is_not_allowed_answers_in_the_error_shape(api, cast):
    response = api.as_(cast.volunteer_katingan).delete("/me")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_an_unparseable_body_answers_in_bahasa_indonesia(api, cast):
    response = api.as_(cast.volunteer_katingan)._client.post(
        "/api/v1/devices",
        data="token=abc",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": api.as_(cast.volunteer_katingan)._headers(None)["Authorization"]},
    )
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] in ("bad_request", "validation_error")


def test_an_unparseable_json_body_answers_400_in_bahasa_indonesia_with_ninjas_text_as_detail(api, cast):
    client = api.as_(cast.volunteer_katingan)
    response = client._client.post(
        "/api/v1/devices", data="{not json", content_type="application/json", headers=client._headers(None)
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"] == "Isi permintaan tidak dapat dibaca. Kirim JSON yang valid."


def test_a_lone_surrogate_answers_422_not_500(api, cast):
    client = api.as_(cast.volunteer_katingan)
    body = '{"token": "abc\\ud800", "platform": "android"}'
    response = client._client.post(
        "/api/v1/devices", data=body, content_type="application/json", headers=client._headers(None)
    )
    assert response.status_code == 422
