"""Access tokens: short-lived JWTs (HS256) carrying the user id and the session (refresh token family) they
belong to. Refresh tokens live in the database.

An access token dies with its session: signing out, or a refresh token used twice, revokes the family, and the
authentication (api/auth.py) refuses an access token whose family has no live refresh token, in the same query
that loads the user, so no extra store (and no Redis) is involved. Tokens minted outside a sign-in (tests,
benchmarks) carry no family and are bound only by their expiry and the account being active.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from django.conf import settings

ACCESS_TOKEN_TYPE = "access"


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    family: uuid.UUID | None  # the session (refresh token family), None for a token minted outside a sign-in


def access_token_issue(*, user_id: uuid.UUID, family: uuid.UUID | None = None) -> tuple[str, int]:
    """A signed access token for the user (of the session `family`) and its lifetime in seconds."""
    now = datetime.now(UTC)
    ttl = settings.ACCESS_TOKEN_TTL
    payload = {
        "sub": str(user_id),
        "typ": ACCESS_TOKEN_TYPE,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    if family is not None:
        payload["fam"] = str(family)
    return jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm="HS256"), int(ttl.total_seconds())


def access_token_claims(token: str) -> AccessClaims | None:
    """The user and session of a valid, unexpired access token, else None."""
    try:
        payload = jwt.decode(
            token, settings.JWT_SIGNING_KEY, algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWTError:
        return None
    if payload.get("typ") != ACCESS_TOKEN_TYPE:
        return None
    try:
        family = uuid.UUID(payload["fam"]) if "fam" in payload else None
        return AccessClaims(user_id=uuid.UUID(payload["sub"]), family=family)
    except (ValueError, TypeError):
        return None
