"""Bahasa Indonesia first, English on request: the catalogue is complete and the API uses it."""

from pathlib import Path

import pytest
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale/en/LC_MESSAGES/django.po"


def _entries(text: str) -> list[tuple[str, str]]:
    pairs = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        joined = "\n".join(lines)
        if "msgid " not in joined or "msgstr " not in joined:
            continue
        msgid_part, msgstr_part = joined.split("msgstr ", 1)
        msgid = "".join(seg.strip().strip('"') for seg in msgid_part.replace("msgid ", "", 1).splitlines())
        msgstr = "".join(seg.strip().strip('"') for seg in msgstr_part.splitlines())
        pairs.append((msgid, msgstr))
    return pairs


def test_every_indonesian_text_has_an_english_translation():
    missing = [msgid for msgid, msgstr in _entries(PO.read_text()) if msgid and not msgstr]
    assert missing == []


@pytest.mark.django_db
def test_a_domain_error_is_in_bahasa_indonesia_by_default_and_english_on_request(api, cast):
    body = {"phone": cast.volunteer_katingan.phone, "password": "salah-sekali"}
    indonesian = api.post("/auth/login", body).json()["error"]
    english = api.as_(None, lang="en").post("/auth/login", body).json()["error"]

    assert indonesian["code"] == english["code"] == "invalid_credentials"
    assert indonesian["message"] == "Nomor HP atau kata sandi salah."
    assert english["message"] == "Wrong phone number or password."


@pytest.mark.django_db
def test_validation_errors_name_the_field_in_english_on_request(api, cast):
    response = api.as_(None, lang="en").post("/auth/login", {"password": "x"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "Invalid data."
    assert {"field": "phone", "code": "missing", "message": "This field is required."} in error["details"]
