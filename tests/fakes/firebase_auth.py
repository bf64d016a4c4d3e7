"""A local stand-in for Google's side of Firebase phone sign-in, so ID tokens are verified for real.

firebase-admin verifies an ID token by fetching `{kid: X.509 PEM}` from Google and checking the RS256
signature, audience, issuer and expiry. Here an RSA key and a self-signed certificate are made once per
session, the certificate is served from a local http.server on 127.0.0.1, and firebase-admin's ID-token
certificate URL (`firebase_admin._token_gen.ID_TOKEN_CERT_URI`, read when an App's auth client is built;
firebase-admin is pinned) is pointed at it. Tokens are signed with `google.auth.jwt.encode` and that key, so
valid, expired and wrongly signed tokens behave exactly as in production. verify_id_token is never replaced.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import firebase_admin._token_gen as token_gen
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt
from google.auth import jwt as google_jwt

from backend.common.firebase_app import reset_firebase_app

PROJECT_ID = "pulih-test"
KID = "pulih-test-key-1"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _self_signed_cert(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.system.gserviceaccount.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class GoogleFake:
    """The keys and the local server, made once per test session."""

    signing_key_pem: str
    other_key_pem: str  # a key Google never published: tokens signed with it must be refused
    certs: dict[str, str]
    server: ThreadingHTTPServer
    cert_fetches: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


def _handler(fake_ref: list[GoogleFake]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # the certificate endpoint
            fake_ref[0].cert_fetches.append(self.path)
            self._json(200, fake_ref[0].certs)

        def do_POST(self) -> None:  # the OAuth token endpoint of the service-account credentials
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._json(200, {"access_token": "fake-access-token", "expires_in": 3600, "token_type": "Bearer"})

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture(scope="session")
def google_fake() -> Iterator[GoogleFake]:
    key = _rsa_key()
    ref: list[GoogleFake] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    fake = GoogleFake(
        signing_key_pem=_pem(key),
        other_key_pem=_pem(_rsa_key()),
        certs={KID: _self_signed_cert(key)},
        server=server,
    )
    ref.append(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@dataclass
class FirebaseAuthFake:
    google: GoogleFake
    project_id: str = PROJECT_ID

    def id_token(
        self,
        *,
        phone_number: str | None = "+6281200000001",
        expires_in: int = 3600,
        issued_ago: int = 10,
        key_pem: str | None = None,
        **claims: Any,
    ) -> str:
        """A Firebase ID token as the phone would get after SMS verification (negative expires_in: expired)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": f"https://securetoken.google.com/{self.project_id}",
            "aud": self.project_id,
            "sub": "firebase-uid-123",
            "auth_time": now - issued_ago,
            "iat": now - issued_ago,
            "exp": now + expires_in,
            "firebase": {"identities": {"phone": [phone_number]}, "sign_in_provider": "phone"},
        }
        if phone_number is not None:
            payload["phone_number"] = phone_number
        payload.update(claims)
        signer = crypt.RSASigner.from_string(key_pem or self.google.signing_key_pem, key_id=KID)
        return google_jwt.encode(signer, payload).decode()

    def wrongly_signed_id_token(self, **kwargs: Any) -> str:
        return self.id_token(key_pem=self.google.other_key_pem, **kwargs)


@pytest.fixture
def firebase_auth_fake(
    google_fake: GoogleFake, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FirebaseAuthFake]:
    """Firebase configured from a real service-account file, verifying ID tokens against the local fake."""
    account = {
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": "test-key-id",
        "private_key": google_fake.signing_key_pem,
        "client_email": f"firebase-adminsdk@{PROJECT_ID}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": f"{google_fake.base_url}/token",
    }
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(account))
    settings.FIREBASE_CREDENTIALS_FILE = str(path)
    settings.FIREBASE_PROJECT_ID = PROJECT_ID
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    # Read when the App's auth client (and its TokenVerifier) is built, so set before the App is made.
    monkeypatch.setattr(token_gen, "ID_TOKEN_CERT_URI", f"{google_fake.base_url}/certs")
    reset_firebase_app()
    yield FirebaseAuthFake(google=google_fake)
    reset_firebase_app()
