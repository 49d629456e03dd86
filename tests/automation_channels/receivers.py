"""Real local servers for the channel tests: an HTTP receiver that records every request and answers from a script,
and an SMTP server (aiosmtpd) that keeps what it was sent."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode())


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})


class HttpReceiver:
    """Answers each request with the next scripted reply for its path (or the path's default), and records it."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._script: dict[str, deque[Reply]] = {}
        self._defaults: dict[str, Reply] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                receiver.requests.append(Received(self.command, parts.path, query, dict(self.headers.items()), body))
                reply = receiver._next(parts.path)
                raw = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body, ensure_ascii=False).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = _handle
            do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def reply(self, path: str, *replies: Reply) -> None:
        """Queue one-off replies for `path`; after they are used the path's default answers."""
        self._script.setdefault(path, deque()).extend(replies)

    def default(self, path: str, reply: Reply) -> None:
        self._defaults[path] = reply

    def _next(self, path: str) -> Reply:
        queue = self._script.get(path)
        if queue:
            return queue.popleft()
        return self._defaults.get(path, Reply())

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """An aiosmtpd server on a free loopback port; `messages` holds (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.peers: set[Any] = set()  # the clients' (address, port): one per SMTP connection
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                parsed = message_from_bytes(envelope.content, policy=policy.default)
                sink.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
                sink.peers.add(tuple(session.peer))
                return "250 Message accepted for delivery"

        self.port = free_port()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    @property
    def sessions(self) -> int:
        """How many SMTP connections delivered messages."""
        return len(self.peers)

    def close(self) -> None:
        self._controller.stop()
