"""Sync tests build the cast often: a fast password hasher keeps its 17 users from costing seconds each."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
