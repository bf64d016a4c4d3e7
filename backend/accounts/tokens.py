"""Access tokens: short-lived JWTs (HS256) carrying only the user id. Refresh tokens live in the database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import jwt
from django.conf import settings

ACCESS_TOKEN_TYPE = "access"


def access_token_issue(*, user_id: uuid.UUID) -> tuple[str, int]:
    """A signed access token for the user and its lifetime in seconds."""
    now = datetime.now(UTC)
    ttl = settings.ACCESS_TOKEN_TTL
    payload = {
        "sub": str(user_id),
        "typ": ACCESS_TOKEN_TYPE,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm="HS256"), int(ttl.total_seconds())


def access_token_user_id(token: str) -> uuid.UUID | None:
    """The user id of a valid, unexpired access token, else None."""
    try:
        payload = jwt.decode(
            token, settings.JWT_SIGNING_KEY, algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWTError:
        return None
    if payload.get("typ") != ACCESS_TOKEN_TYPE:
        return None
    try:
        return uuid.UUID(payload["sub"])
    except (ValueError, TypeError):
        return None
