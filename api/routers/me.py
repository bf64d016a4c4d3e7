"""GET /me: the signed-in user, their roles, and the areas and facilities they cover."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from api.auth import current_user
from api.schemas.accounts import MeOut
from backend.accounts.selectors import user_profile

router = Router()


@router.get("/me", response=MeOut, summary="Pengguna yang sedang masuk")
def get_me(request: HttpRequest) -> dict:
    return user_profile(user=current_user(request))
