"""A local stand-in for Google's OAuth token endpoint and the FCM v1 `messages:send` endpoint.

firebase-admin runs its real send path against it: it signs a JWT with the service account's RSA key, POSTs
it to our `/token` (we check its signature with the key's public half), then POSTs each message to
`/v1/projects/<project>/messages:send` with the access token we handed out. Every message body is recorded,
and answers can be scripted per registration token with the error bodies FCM really returns.

Usage: `FakeFCM().start()`, `fake.service_account(path)` writes a credentials file whose token_uri is local,
`fake.send_url` is what `messaging._MessagingService.FCM_URL` must be set to (see tests/notifications/conftest).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT_ID = "pulih-test"
ACCESS_TOKEN = "fake-access-token-for-pulih-tests"
_FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _error(
    http: int,
    status: str,
    message: str,
    fcm_code: str | None,
    headers: dict[str, str] | None = None,
    bad_field: str | None = None,
) -> Answer:
    details: list[dict[str, Any]] = [{"@type": _FCM_ERROR, "errorCode": fcm_code}] if fcm_code else []
    if bad_field:
        violation = {"field": bad_field, "description": message}
        details.append({"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]})
    body = {"error": {"code": http, "message": message, "status": status, "details": details}}
    return Answer(http, body, headers or {})


# The answers FCM v1 gives (https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode).
def unregistered() -> Answer:
    return _error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")


def invalid_token(message: str = "The registration token is not a valid FCM registration token") -> Answer:
    return _error(400, "INVALID_ARGUMENT", message, "INVALID_ARGUMENT", bad_field="message.token")


def invalid_message() -> Answer:
    return _error(
        400,
        "INVALID_ARGUMENT",
        "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), Field 'ttl'",
        "INVALID_ARGUMENT",
        bad_field="message.android.ttl",
    )


def sender_id_mismatch() -> Answer:
    return _error(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH")


def quota_exceeded(retry_after: int | None = None) -> Answer:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return _error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send requests'.",
        "QUOTA_EXCEEDED",
        headers,
    )


def internal() -> Answer:
    return _error(500, "INTERNAL", "Internal error encountered.", "INTERNAL")


def unavailable(retry_after: int | None = None) -> Answer:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return _error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE", headers)


class FakeFCM:
    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []  # every body POSTed to messages:send, in order
        self.token_requests = 0
        self.fcm_requests = 0
        self.token_refused = False  # answer /token with invalid_grant, as for a revoked key
        self._scripted: dict[str, deque[Answer]] = defaultdict(deque)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control --------------------------------------------------------------------------------------
    def start(self) -> FakeFCM:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self._scripted.clear()
            self.token_requests = 0
            self.fcm_requests = 0
            self.token_refused = False

    def answer(self, token: str, *answers: Answer) -> None:
        """Answer the next sends to `token` with these, in order; then success again."""
        with self._lock:
            self._scripted[token].extend(answers)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def send_url(self) -> str:
        return self.base_url + "/v1/projects/{0}/messages:send"

    def service_account(self, path: Path) -> Path:
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": PROJECT_ID,
                    "private_key_id": "pulih-test-key",
                    "private_key": pem,
                    "client_email": f"firebase-adminsdk@{PROJECT_ID}.iam.gserviceaccount.com",
                    "client_id": "1000000000000000000",
                    "token_uri": self.base_url + "/token",
                }
            )
        )
        return path

    def sent_to(self, token: str) -> list[dict[str, Any]]:
        return [m["message"] for m in self.messages if m["message"].get("token") == token]

    # --- the two endpoints ----------------------------------------------------------------------------
    def _issue_access_token(self, form: dict[str, list[str]]) -> Answer:
        if self.token_refused:
            return Answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        assertion = form.get("assertion", [""])[0]
        try:
            jwt.decode(
                assertion,
                self._key.public_key(),
                algorithms=["RS256"],
                # google-auth always names Google's endpoint as the audience, whatever token_uri says.
                audience="https://oauth2.googleapis.com/token",
            )
        except jwt.PyJWTError as exc:
            return Answer(400, {"error": "invalid_grant", "error_description": str(exc)})
        with self._lock:
            self.token_requests += 1
        return Answer(200, {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600})

    def _send(self, authorization: str, body: dict[str, Any]) -> Answer:
        if authorization != f"Bearer {ACCESS_TOKEN}":
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", None)
        token = body.get("message", {}).get("token", "")
        with self._lock:
            self.fcm_requests += 1
            self.messages.append(body)
            scripted = self._scripted.get(token)
            if scripted:
                return scripted.popleft()
        return Answer(200, {"name": f"projects/{PROJECT_ID}/messages/{len(self.messages)}"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    answer = fake._issue_access_token(parse_qs(raw.decode()))
                elif self.path == f"/v1/projects/{PROJECT_ID}/messages:send":
                    answer = fake._send(self.headers.get("Authorization", ""), json.loads(raw))
                else:
                    answer = Answer(404, {"error": {"code": 404, "message": "no such path"}})
                payload = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        return Handler
