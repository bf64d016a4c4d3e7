"""Sign-in, token refresh and sign-out. Public (no bearer token) except logout."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status

from api.auth import AccessTokenAuth, current_user
from api.errors import error_response
from api.schemas.accounts import ErrorOut, FirebaseLoginIn, LoginIn, RefreshIn, TokenPairOut
from backend.accounts.client_ip import client_ip
from backend.accounts.selectors import user_profile
from backend.accounts.services import (
    ClientInfo,
    TokenPair,
    auth_login_firebase,
    auth_login_password,
    auth_logout,
    refresh_token_rotate,
)
from backend.accounts.sign_in_gate import (
    SIGN_IN_BUSY_MESSAGE,
    SIGN_IN_RETRY_AFTER_SECONDS,
    password_check_slot,
)

router = Router()

_SIGN_IN_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _sign_in_busy() -> HttpResponse:
    response = error_response(503, "sign_in_busy", SIGN_IN_BUSY_MESSAGE)
    response["Retry-After"] = str(SIGN_IN_RETRY_AFTER_SECONDS)
    return response


def _client(request: HttpRequest) -> ClientInfo:
    # REMOTE_ADDR, or X-Forwarded-For as far as TRUSTED_PROXY_COUNT trusted proxies vouch for it.
    return ClientInfo(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))


def _pair_out(pair: TokenPair) -> dict:
    return {
        "access": pair.access,
        "refresh": pair.refresh,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "user": user_profile(user=pair.user),
    }


@router.post(
    "/login",
    auth=None,
    response={200: TokenPairOut, **_SIGN_IN_ERRORS, 503: ErrorOut},
    summary="Masuk dengan nomor HP dan kata sandi",
    description=(
        "Untuk pengembangan dan penerapan tanpa Firebase; dapat dimatikan (`password_login_disabled`). "
        "503 `sign_in_busy` dengan Retry-After: terlalu banyak permintaan masuk sekaligus, coba lagi."
    ),
)
def login(request: HttpRequest, payload: LoginIn) -> dict | HttpResponse:
    with password_check_slot() as free:  # backend/accounts/sign_in_gate.py: sign-ins must not block sync
        if not free:
            return _sign_in_busy()
        pair = auth_login_password(phone=payload.phone, password=payload.password, client=_client(request))
    return _pair_out(pair)


@router.post(
    "/firebase",
    auth=None,
    response={200: TokenPairOut, **_SIGN_IN_ERRORS, 503: ErrorOut},
    summary="Masuk dengan ID token Firebase (verifikasi nomor HP)",
)
def login_firebase(request: HttpRequest, payload: FirebaseLoginIn) -> dict:
    pair = auth_login_firebase(id_token=payload.id_token, client=_client(request))
    return _pair_out(pair)


@router.post(
    "/refresh",
    auth=None,
    response={200: TokenPairOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Tukar token penyegaran dengan pasangan token baru",
    description="Token penyegaran sekali pakai; memakainya dua kali mencabut seluruh sesi (`refresh_token_reused`).",
)
def refresh(request: HttpRequest, payload: RefreshIn) -> dict:
    return _pair_out(refresh_token_rotate(raw=payload.refresh, client=_client(request)))


@router.post(
    "/logout",
    response={204: None, 401: ErrorOut, 422: ErrorOut},
    summary="Keluar: cabut sesi token penyegaran ini",
    auth=AccessTokenAuth(ended_sessions_too=True),  # signing out twice is harmless
)
def logout(request: HttpRequest, payload: RefreshIn) -> Status:
    auth_logout(user=current_user(request), raw=payload.refresh)
    return Status(204, None)
