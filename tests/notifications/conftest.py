"""A real HTTP receiver on 127.0.0.1 (the network is blocked except loopback), for webhooks and adapters."""

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from gridgov.accounts.actions import create_user
from gridgov.accounts.models import User


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# What the receiver answers: a status and a body (bytes, or an object sent as JSON), or a function
# of the request that returns one.
Answer = tuple[int, Any]
Responder = Callable[[Received], Answer]


@dataclass
class Receiver:
    base_url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: deque[Answer | Responder] = field(default_factory=deque)
    default: Answer | Responder = (200, b"ok")

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def reply(self, *answers: Answer | Responder) -> None:
        """Answer the next requests with these, in order; then with `default`."""
        self.answers.extend(answers)

    def answer(self, request: Received) -> tuple[int, bytes]:
        self.requests.append(request)
        answer = self.answers.popleft() if self.answers else self.default
        status, body = answer(request) if callable(answer) else answer
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        return status, body


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1:<free port> in a thread, recording every POST it gets."""
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            parts = urlsplit(self.path)
            request = Received(
                method="POST",
                path=parts.path,
                query=parts.query,
                headers=dict(self.headers.items()),
                body=self.rfile.read(length),
            )
            with lock:
                status, body = state.answer(request)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval: shutdown() waits for the loop to notice it.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def make_staff(db: None) -> Callable[[str], User]:
    """A staff account without a password (tests log in with force_login): no slow password hashing."""

    def factory(username: str) -> User:
        return create_user(username=username, password=None, is_staff=True, actor_label="tests")

    return factory
