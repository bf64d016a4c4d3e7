"""A local stand-in for an SMS HTTP gateway speaking Pulih's provider-neutral JSON shape
(notifications/channels/sms.py): POST with `Authorization: Bearer <key>` and {"to", "text", "sender",
"reference"}; answers `{"id": ...}`.

`ScriptedServer` is the small HTTP server both second-channel fakes run on: 127.0.0.1, a free port, every
request recorded (method, path, headers, raw body), and answers scripted in order, then success again.

Usage: the `sms` fixture (import `sms_fake` into a test module) starts a fake, points SMS_GATEWAY_URL/KEY
at it and stops it after the test; `sms.answer(rate_limited(30), server_error())` scripts the next answers.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

GATEWAY_KEY = "fake-sms-gateway-key"
PATH = "/v1/messages"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


class ScriptedServer:
    """An HTTP server on 127.0.0.1 that records what it gets and answers `respond(received)`, unless an
    answer was scripted with `answer(...)` (used first, in order)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self._scripted: deque[Answer] = deque()
        self._server: ThreadingHTTPServer | None = None

    def respond(self, received: Received) -> Answer:  # overridden by each fake
        return Answer(404, {"error": "no such path"})

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self._scripted.extend(answers)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def everything_received(self) -> str:
        """All that reached the fake (paths, headers, bodies) as one string, to search for what must not."""
        return "\n".join(
            f"{r.method} {r.path}\n{json.dumps(r.headers)}\n{r.raw.decode(errors='replace')}"
            for r in self.received
        )

    def start(self) -> ScriptedServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll: shutdown() waits for the loop to look, 0.5 s by default, after every test.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handle(self, received: Received) -> Answer:
        with self._lock:
            self.received.append(received)
            if self._scripted:
                return self._scripted.popleft()
        return self.respond(received)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = fake._handle(Received("POST", self.path, dict(self.headers.items()), raw))
                payload = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        return Handler


def unreachable_url(path: str = "") -> str:
    """An http URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


# --- the answers a gateway gives ----------------------------------------------------------------------------
def accepted(message_id: str = "sms-1") -> Answer:
    return Answer(200, {"id": message_id, "status": "queued"})


def rate_limited(retry_after: int | None = None) -> Answer:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Answer(429, {"error": "too many requests"}, headers)


def server_error() -> Answer:
    return Answer(500, {"error": "internal error"})


def bad_number(phone: str) -> Answer:
    # Gateways echo the number back in their error text: Pulih must keep only the status code.
    return Answer(400, {"error": f"invalid destination {phone}"})


class FakeSmsGateway(ScriptedServer):
    def __init__(self) -> None:
        super().__init__()
        self.accepted = 0

    @property
    def url(self) -> str:
        return self.base_url + PATH

    def messages(self) -> list[dict[str, Any]]:
        """Bodies of the messages it received (accepted or not), in order."""
        return [r.json for r in self.received if r.path == PATH]

    def respond(self, received: Received) -> Answer:
        if received.path != PATH:
            return Answer(404, {"error": "no such path"})
        if received.headers.get("Authorization") != f"Bearer {GATEWAY_KEY}":
            return Answer(401, {"error": "bad key"})
        with self._lock:
            self.accepted += 1
            return accepted(f"sms-{self.accepted}")


@pytest.fixture(name="sms")
def sms_fake(settings) -> Iterator[FakeSmsGateway]:
    """A fake gateway, and settings pointing the SMS channel at it."""
    fake = FakeSmsGateway().start()
    settings.SMS_GATEWAY_URL = fake.url
    settings.SMS_GATEWAY_KEY = GATEWAY_KEY
    settings.SMS_SENDER = "PULIH"
    yield fake
    fake.stop()
