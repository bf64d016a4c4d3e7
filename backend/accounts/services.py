"""Sign-in and tokens: the only way sessions are created, rotated and ended.

1. A sign-in (password or Firebase phone auth) is rate limited (ratelimit.py), maps to a provisioned, active
   user, and issues a pair: a short-lived access JWT (tokens.py) and an opaque refresh token.
2. Refresh tokens are random strings handed out once; the database keeps only their SHA-256. Each refresh
   rotates: the old token is marked used and a successor joins the same family.
3. A used token presented again means it leaked (or two requests raced with the same one): the whole family
   is revoked. Under concurrency the row lock decides: the first request rotates, the second sees `used_at`
   and counts as reuse.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.firebase_auth import firebase_phone_verify
from backend.accounts.models import RefreshToken, User
from backend.accounts.phones import normalize_phone
from backend.accounts.ratelimit import login_attempt_register, login_attempt_succeeded
from backend.accounts.tokens import access_token_issue
from backend.common.errors import AuthenticationFailed, PermissionDenied, ValidationFailed

# Hashed once so that an unknown phone costs as much time as a wrong password (no enumeration by timing).
_DUMMY_PASSWORD_HASH: str | None = None


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int
    user: User


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str = ""


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _invalid_credentials() -> AuthenticationFailed:
    return AuthenticationFailed(_("Nomor HP atau kata sandi salah."), code="invalid_credentials")


def _account_inactive() -> PermissionDenied:
    return PermissionDenied(_("Akun ini dinonaktifkan. Hubungi koordinator Anda."), code="account_inactive")


def token_pair_issue(*, user: User, client: ClientInfo, family: uuid.UUID | None = None) -> TokenPair:
    """A new access token and refresh token for the user (a new family unless one is given)."""
    raw, row = _refresh_token_create(user=user, client=client, family=family or uuid.uuid4())
    access, expires_in = access_token_issue(user_id=user.id, family=row.family)
    return TokenPair(access=access, refresh=raw, expires_in=expires_in, user=user)


def _refresh_token_create(*, user: User, client: ClientInfo, family: uuid.UUID) -> tuple[str, RefreshToken]:
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    row = RefreshToken.objects.create(
        user=user,
        family=family,
        token_hash=_hash(raw),
        created_at=now,
        expires_at=now + settings.REFRESH_TOKEN_TTL,
        user_agent=client.user_agent[:200],
        ip=client.ip,
    )
    return raw, row


def _signed_in(*, user: User, client: ClientInfo, phone: str) -> TokenPair:
    login_attempt_succeeded(phone=phone, ip=client.ip)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return token_pair_issue(user=user, client=client)


def auth_login_password(*, phone: str, password: str, client: ClientInfo) -> TokenPair:
    """Phone + password sign-in (development, and deployments without Firebase)."""
    user, e164 = _password_check(phone=phone, password=password, client=client)
    return _signed_in(user=user, client=client, phone=e164)


def auth_password_user(*, phone: str, password: str, client: ClientInfo) -> User:
    """The same phone + password check, rate limits and refusals as `auth_login_password`, for a session
    sign-in (the web view): the user, with no tokens issued."""
    user, e164 = _password_check(phone=phone, password=password, client=client)
    login_attempt_succeeded(phone=e164, ip=client.ip)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user


def _password_check(*, phone: str, password: str, client: ClientInfo) -> tuple[User, str]:
    global _DUMMY_PASSWORD_HASH
    if not settings.PASSWORD_LOGIN_ENABLED:
        raise PermissionDenied(
            _("Masuk dengan kata sandi dinonaktifkan. Masuk dengan verifikasi nomor HP."),
            code="password_login_disabled",
        )
    try:
        e164 = normalize_phone(phone)
    except ValidationFailed:
        login_attempt_register(ip=client.ip)
        raise
    login_attempt_register(phone=e164, ip=client.ip)
    user = User.objects.filter(phone=e164).first()
    if user is None:
        if _DUMMY_PASSWORD_HASH is None:
            _DUMMY_PASSWORD_HASH = make_password("pulih-dummy-password")
        User(password=_DUMMY_PASSWORD_HASH).check_password(password)
        raise _invalid_credentials()
    if not user.check_password(password):
        raise _invalid_credentials()
    # Said only after the right password, so the answer reveals nothing to someone guessing.
    if not user.is_active:
        raise _account_inactive()
    return user, e164


def auth_login_firebase(*, id_token: str, client: ClientInfo) -> TokenPair:
    """Firebase phone sign-in: a verified phone number that belongs to a provisioned, active user."""
    login_attempt_register(ip=client.ip)
    try:
        e164: str | None = normalize_phone(firebase_phone_verify(id_token=id_token))
    except ValidationFailed:
        e164 = None  # a number Pulih cannot hold (not Indonesian) is simply not provisioned
    login_attempt_register(phone=e164, ip=None)
    user = User.objects.filter(phone=e164).first() if e164 else None
    if user is None:
        raise PermissionDenied(
            _("Nomor HP ini belum terdaftar di Pulih. Hubungi koordinator BNN di wilayah Anda."),
            code="phone_not_provisioned",
        )
    if not user.is_active:
        raise _account_inactive()
    return _signed_in(user=user, client=client, phone=user.phone)


def refresh_token_rotate(*, raw: str, client: ClientInfo) -> TokenPair:
    """Exchange a refresh token for a new pair in the same family (see the module docstring)."""
    now = timezone.now()
    with transaction.atomic():
        # The row lock serialises concurrent refreshes of one token; the user row is not locked.
        token = (
            RefreshToken.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(token_hash=_hash(raw))
            .first()
        )
        error = _refresh_refusal(token=token, now=now)
        if error is None:
            assert token is not None
            new_raw, successor = _refresh_token_create(user=token.user, client=client, family=token.family)
            token.used_at = now
            token.replaced_by = successor
            token.save(update_fields=["used_at", "replaced_by"])
    # Raised after the block so that a family revocation is committed, not rolled back with the error.
    if error is not None:
        raise error
    access, expires_in = access_token_issue(user_id=token.user_id, family=token.family)  # type: ignore[union-attr]
    return TokenPair(access=access, refresh=new_raw, expires_in=expires_in, user=token.user)  # type: ignore[union-attr]


def _refresh_refusal(*, token: RefreshToken | None, now: Any) -> Exception | None:
    """Why this (locked) token may not be rotated, revoking its family where that is the answer; or None."""
    if token is None:
        return AuthenticationFailed(_("Token penyegaran tidak valid."), code="invalid_refresh_token")
    if token.revoked_at is not None:
        return AuthenticationFailed(
            _("Sesi ini sudah diakhiri. Silakan masuk lagi."), code="refresh_token_revoked"
        )
    if token.used_at is not None:
        _family_revoke(family=token.family, now=now)
        return AuthenticationFailed(
            _("Token penyegaran sudah pernah dipakai. Demi keamanan, sesi diakhiri; silakan masuk lagi."),
            code="refresh_token_reused",
        )
    if token.expires_at <= now:
        return AuthenticationFailed(
            _("Sesi sudah kedaluwarsa. Silakan masuk lagi."), code="refresh_token_expired"
        )
    if not token.user.is_active:
        _family_revoke(family=token.family, now=now)
        return _account_inactive()
    return None


def _family_revoke(*, family: uuid.UUID, now: Any) -> int:
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=now)


def auth_logout(*, user: User, raw: str) -> None:
    """End the session the refresh token belongs to (its whole family). Repeating a logout is harmless."""
    token = RefreshToken.objects.filter(token_hash=_hash(raw), user=user).only("family").first()
    if token is None:
        raise AuthenticationFailed(_("Token penyegaran tidak valid."), code="invalid_refresh_token")
    _family_revoke(family=token.family, now=timezone.now())


def refresh_tokens_prune(*, keep_days: int = 7) -> int:
    """Delete refresh tokens that expired (or were revoked) more than `keep_days` ago; returns how many.

    A used token must outlive its successor's rotation long enough to detect reuse, which its own expiry
    already guarantees; past expiry it can only answer `refresh_token_expired`, so nothing is lost.
    """
    cutoff = timezone.now() - timedelta(days=keep_days)
    deleted, _ = RefreshToken.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)).delete()
    return deleted
