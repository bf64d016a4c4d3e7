"""GET /me: the signed-in user, their roles, the areas and facilities they cover, and their certificates."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from api.auth import current_user
from api.schemas.accounts import ErrorOut, MeOut
from backend.accounts.selectors import user_profile

router = Router()


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="Pengguna yang sedang masuk")
def get_me(request: HttpRequest) -> dict:
    return user_profile(user=current_user(request))
