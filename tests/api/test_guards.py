"""Input PostgreSQL would choke on, and non-JSON errors, still answer in the API's error shape, in Bahasa
Indonesia: each refusal here is one status, one code and the Indonesian text."""

import pytest

from notifications.models import Device

pytestmark = pytest.mark.django_db

INVALID_DATA = "Data tidak valid."
NUL_NOT_ALLOWED = "Karakter NUL tidak diizinkan."
UNREADABLE_BODY = "Isi permintaan tidak dapat dibaca. Kirim JSON yang valid."


def test_a_nul_character_in_a_json_body_is_refused_before_it_reaches_the_database(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/devices", {"token": "abc\u0000def", "platform": "android"}
    )

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": INVALID_DATA,
        "details": [{"field": "body", "code": "nul_character", "message": NUL_NOT_ALLOWED}],
    }
    assert not Device.objects.exists()


def test_a_nul_character_in_the_query_is_refused(api, cast):
    response = api.as_(cast.volunteer_katingan).get("/villages", q="Kas\x00ongan")

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": INVALID_DATA,
        "details": [{"field": "query", "code": "nul_character", "message": NUL_NOT_ALLOWED}],
    }


def test_a_literal_backslash_u_text_is_not_mistaken_for_a_nul(api, cast):
    # The characters "\u0000" typed as text arrive JSON-escaped as "\\u0000": that is not a NUL.
    response = api.as_(cast.volunteer_katingan).post(
        "/devices", {"token": "tok\\u0000en", "platform": "android"}
    )

    assert response.status_code == 201, response.content  # a new device (the same token again answers 200)
    assert Device.objects.get().token == "tok\\u0000en"


def test_a_method_that_is_not_allowed_answers_in_the_error_shape(api, cast):
    response = api.as_(cast.volunteer_katingan).delete("/me")

    assert response.status_code == 405
    assert response.json()["error"] == {
        "code": "method_not_allowed",
        "message": "Metode HTTP ini tidak didukung untuk alamat ini.",
        "details": [],
    }
    assert response["Allow"] == "GET"


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]
)
def test_an_unparseable_body_answers_400_in_bahasa_indonesia(api, cast, content_type):
    client = api.as_(cast.volunteer_katingan)
    response = client._client.post(
        "/api/v1/devices", data="token=abc", content_type=content_type, headers=client._headers(None)
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("bad_request", UNREADABLE_BODY)
    assert not Device.objects.exists()


def test_an_unparseable_json_body_answers_400_in_bahasa_indonesia_with_ninjas_text_as_detail(api, cast):
    client = api.as_(cast.volunteer_katingan)
    response = client._client.post(
        "/api/v1/devices", data="{not json", content_type="application/json", headers=client._headers(None)
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "bad_request",
        "message": UNREADABLE_BODY,
        "details": [{"field": "body", "code": "bad_request", "message": "Cannot parse request body"}],
    }


def test_a_lone_surrogate_answers_422_not_500(api, cast):
    client = api.as_(cast.volunteer_katingan)
    body = '{"token": "abc\\ud800", "platform": "android"}'
    response = client._client.post(
        "/api/v1/devices", data=body, content_type="application/json", headers=client._headers(None)
    )

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": INVALID_DATA,
        "details": [{"field": "token", "code": "string_unicode", "message": "Nilai tidak valid."}],
    }
