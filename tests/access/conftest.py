"""Access tests reuse the escalation fixtures: clients in the cast's villages with consent given."""

from tests.escalations.conftest import client_kasongan, client_mataram, fast_password_hashing  # noqa: F401
