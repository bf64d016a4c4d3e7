import pytest

from tests.followup.helpers import Jayapura, jayapura_build


@pytest.fixture
def jayapura(cast) -> Jayapura:
    return jayapura_build()
