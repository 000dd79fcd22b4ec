"""Fixtures for the outbox and channel tests: one suite, two engines; local receivers.

Every receiver here is a LOCAL STAND-IN for a service the tests cannot reach (no internet): FCM,
a browser push service, an SMS gateway. They check what they receive and record it so a test can
count deliveries by outbox id.
"""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest
import sqlalchemy as sa

from notifications.db import make_engine
from notifications.models import metadata
from tests.conftest import FIXED_NOW


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    return request.getfixturevalue("postgresql_url")


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(postgresql_url):
    engine = make_engine(postgresql_url, pool_size=4)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


class Clock:
    """A fixed clock that a test moves by hand."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A threaded loopback HTTP server; `respond(request) -> (status, headers, body)`."""

    respond: Callable[[Request], tuple[int, dict, bytes] | None]
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "HttpReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                req = Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                              body)
                with receiver.lock:
                    receiver.requests.append(req)
                answer = receiver.respond(req)
                if answer is None:  # drop the connection without an answer
                    self.close_connection = True
                    return
                status, headers, payload = answer
                try:
                    self.send_response(status)
                    for k, v in {"Content-Length": str(len(payload)), **headers}.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def http_receiver():
    """Start local stand-in HTTP receivers; stopped at the end of the test."""
    started: list[HttpReceiver] = []

    def start(respond) -> HttpReceiver:
        receiver = HttpReceiver(respond).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def json_answer(status: int, payload: dict, headers: dict | None = None):
    return status, {"Content-Type": "application/json", **(headers or {})}, \
        json.dumps(payload).encode()


def outbox_rows(engine) -> dict[str, sa.Row]:
    from notifications.models import outbox_message

    with engine.connect() as conn:
        return {r.id: r for r in conn.execute(sa.select(outbox_message))}
