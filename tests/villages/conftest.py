from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.cast import build_geography


@pytest.fixture
def geo(db: None) -> SimpleNamespace:
    """The cast's places (Katingan, Barito Timur, Mataram and four facilities) without its users, whose
    password hashing makes the full `cast` slow."""
    return SimpleNamespace(**build_geography())
