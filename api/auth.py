"""Bearer authentication for every endpoint but /health and /auth/*: a valid access token of an active user."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from backend.accounts.models import User
from backend.accounts.tokens import access_token_user_id


class AccessTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user_id = access_token_user_id(token)
        if user_id is None:
            return None
        user = User.objects.filter(id=user_id, is_active=True).first()
        if user is None:
            return None
        request.user = user
        return user


def current_user(request: HttpRequest) -> User:
    """The authenticated user of a request that passed AccessTokenAuth."""
    return request.auth  # type: ignore[attr-defined,no-any-return]
