"""The DPIA register (issue 10): every field of every model is classified in backend/privacy/register.py, the
committed docs/DPIA.md is what `manage.py dpia_register` writes now, who sees what comes from the access policy,
and what the register says travels to the phones is what the sync feed sends."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.access import policy
from backend.mobile.feed import BY_NAME
from backend.privacy import register
from backend.privacy.register import REGISTER, register_markdown, unclassified

DPIA = Path(__file__).resolve().parents[2] / "docs" / "DPIA.md"


def test_every_field_of_every_model_is_classified():
    assert unclassified() == []


def test_a_field_the_register_does_not_know_fails_the_check_and_the_command(monkeypatch, tmp_path):
    entry = REGISTER["recovery.Client"]
    fields = {**entry.fields, "identity": entry.fields["identity"].replace("nik_hash", "")}
    monkeypatch.setitem(REGISTER, "recovery.Client", dataclasses.replace(entry, fields=fields))
    assert unclassified() == ["recovery.Client.nik_hash: not in the register"]
    with pytest.raises(CommandError, match="nik_hash"):
        call_command("dpia_register", output=str(tmp_path / "DPIA.md"))


def test_the_committed_register_is_the_generated_one(tmp_path):
    call_command("dpia_register", output=str(tmp_path / "DPIA.md"))
    generated = (tmp_path / "DPIA.md").read_text(encoding="utf-8")
    assert generated == register_markdown()
    assert DPIA.read_text(encoding="utf-8") == generated, "run: manage.py dpia_register"


def test_who_sees_it_is_the_access_policys_own_words(monkeypatch):
    assert "volunteer: clients assigned to them" in register.seen_by(REGISTER["recovery.Client"])
    monkeypatch.setattr(policy, "__doc__", policy.__doc__.replace("`correction_qs_for`", "`x`"))
    with pytest.raises(LookupError, match="correction_qs_for"):
        register.seen_by(REGISTER["recovery.ClientCorrection"])


def test_what_travels_to_the_phones_is_what_the_feed_sends():
    declared = {e.feed for e in REGISTER.values() if e.feed}
    assert declared == set(BY_NAME)
    assert all("phone" in e.travels for e in REGISTER.values() if e.feed)
