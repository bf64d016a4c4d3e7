"""Firebase phone sign-in: verify an ID token with firebase-admin and return the phone number it proves.

Verification is firebase-admin's own (signature against Google's published certificates, audience, issuer,
expiry). The emulator mode, which skips signature and expiry, is refused in production by settings.py.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext_lazy as _
from firebase_admin import auth as firebase_auth

from backend.common.errors import AuthenticationFailed, DomainError, PermissionDenied
from backend.common.firebase_app import get_firebase_app

logger = logging.getLogger(__name__)


class FirebaseUnavailable(DomainError):
    status = 503
    code = "firebase_unavailable"
    default_message = _("Layanan verifikasi Firebase tidak dapat dihubungi. Coba lagi nanti.")


def firebase_phone_verify(*, id_token: str) -> str:
    """The `phone_number` claim of a valid Firebase ID token (as Firebase wrote it, E.164), or raise.

    Raises FirebaseNotConfigured (503) without credentials, FirebaseUnavailable (503) when Google's
    certificates cannot be fetched, AuthenticationFailed `invalid_id_token` (401) for a bad or expired token.
    """
    app = get_firebase_app()
    try:
        claims = firebase_auth.verify_id_token(id_token, app=app, check_revoked=False)
    except firebase_auth.CertificateFetchError as exc:
        logger.warning("firebase certificate fetch failed: %s", exc)
        raise FirebaseUnavailable() from exc
    except (firebase_auth.InvalidIdTokenError, ValueError) as exc:
        # ExpiredIdTokenError is an InvalidIdTokenError: one answer, the phone signs in again either way.
        raise AuthenticationFailed(
            _("Token Firebase tidak valid atau sudah kedaluwarsa."), code="invalid_id_token"
        ) from exc
    phone = claims.get("phone_number")
    if not phone:
        raise PermissionDenied(
            _("Token Firebase tidak berisi nomor HP. Masuk dengan nomor HP."), code="id_token_without_phone"
        )
    return str(phone)
