"""Bearer authentication for every endpoint but /health and /auth/*: a valid access token of an active user,
whose session (refresh token family) has not been ended by a sign-out or revoked for reuse."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from ninja.security import HttpBearer

from backend.accounts.models import RefreshToken, User
from backend.accounts.tokens import access_token_claims


class AccessTokenAuth(HttpBearer):
    """`ended_sessions_too`: also accept a token whose session was ended (only for signing out again, which
    must stay harmless)."""

    def __init__(self, *, ended_sessions_too: bool = False) -> None:
        super().__init__()
        self.ended_sessions_too = ended_sessions_too

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        claims = access_token_claims(token)
        if claims is None:
            return None
        users = User.objects.filter(id=claims.user_id, is_active=True)
        if claims.family is not None and not self.ended_sessions_too:
            live = RefreshToken.objects.filter(
                user_id=OuterRef("id"), family=claims.family, revoked_at__isnull=True
            )
            users = users.filter(Exists(live))
        user = users.first()
        if user is None:
            return None
        request.user = user
        return user


def current_user(request: HttpRequest) -> User:
    """The authenticated user of a request that passed AccessTokenAuth."""
    return request.auth  # type: ignore[attr-defined,no-any-return]
