"""The fast path for `/t/`: a tiny WSGI app in front of Django (config/wsgi.py mounts it).

A pixel or a document hit is a MAC check, a cached link and one INSERT; Django's middleware stack, URL resolver and
response machinery cost several times that (profiled: bench/README.md, `bench tracking`). The answers are the same as
the Django view's (both call tracking.serve.answer); anything else — booking pages, their forms, every other URL — goes
to Django untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection

from xiaoguan.core.clock import clock_now
from xiaoguan.tracking.serve import answer

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PATH = re.compile(r"^/t/([0-9A-Za-z_-]{23,40})(\.gif|/download/?|/?)$")
ROUTES = {".gif": "pixel", "/download": "download", "/download/": "download", "": "view", "/": "view"}
_REASONS = {200: "200 OK", 302: "302 Found", 404: "404 Not Found"}


def route_of(path: str) -> tuple[str, str] | None:
    """(token, route) for a tracked-link path, else None."""
    match = PATH.match(path)
    return (match[1], ROUTES[match[2]]) if match else None


class TrackingFastPath:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        found = route_of(environ.get("PATH_INFO", "")) if method in ("GET", "HEAD") else None
        if found is None:
            return self.app(environ, start_response)
        token, route = found
        try:
            result = answer(
                token=token, route=route, method=method, user_agent=environ.get("HTTP_USER_AGENT", ""),
                ip=environ.get("REMOTE_ADDR", ""), now=clock_now(),
            )
        finally:
            # What Django's handler does after each request: a connection past CONN_MAX_AGE or broken is dropped
            # (not inside a transaction: only a test holds one open around requests).
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
        if result is None:
            return self.app(environ, start_response)
        start_response(_REASONS.get(result.status, f"{result.status} "), result.headers)
        if method == "HEAD":
            return [b""]
        return [result.body] if isinstance(result.body, bytes) else result.body


def tracking_fast_path(app: WSGIApp) -> WSGIApp:
    return TrackingFastPath(app)
