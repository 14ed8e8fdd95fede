"""What the webhook tests share: a real HTTP receiver on 127.0.0.1, and the secret it knows.

Imported by the test modules (a conftest.py here would shadow tests/conftest.py).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import pytest

from riskseg.webhooks import Endpoint, WebhookSettings

SECRET_ENV = "RISKSEG_TEST_WEBHOOK_SECRET"
SECRET = "test-secret-0123456789"


@dataclass(frozen=True)
class Seen:
    """One request the receiver got."""

    path: str
    headers: Message
    body: bytes


class Receiver:
    """An HTTP server in a thread that records every POST and answers each with the next of
    ``answers`` (a status, or ``(status, seconds to wait first)``), then 200."""

    def __init__(self, answers: list[int | tuple[int, float]] | None = None) -> None:
        self.requests: list[Seen] = []
        self.answers = list(answers or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(Seen(self.path, self.headers, body))
                answer = receiver.answers.pop(0) if receiver.answers else 200
                status, wait = answer if isinstance(answer, tuple) else (answer, 0.0)
                time.sleep(wait)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", f"http://127.0.0.1:{receiver.port}/moved")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the client gave up waiting (a timeout test)
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        # a short poll: shutdown() waits for it, in every test
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/riskseg"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def free_port() -> int:
    """A port nothing listens on (it was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings(*urls: str, **options: object) -> WebhookSettings:
    """Settings with one endpoint per URL, all with the test secret and ``options``."""
    endpoints = tuple(
        Endpoint.model_validate({"url": u, "secret_env": SECRET_ENV, **options}) for u in urls
    )
    return WebhookSettings(version=1, endpoints=endpoints)


@pytest.fixture
def hook_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test secret set, and no proxy between riskseg and 127.0.0.1."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
