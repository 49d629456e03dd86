"""Who is calling: a bearer API token (`Authorization: Bearer xg_…`), or the logged-in browser session.

The session path checks CSRF for unsafe methods, as a form post would; the token path needs none because a
browser never sends the header by itself.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from xiaoguan.core.clock import clock_now
from xiaoguan.org.models import User
from xiaoguan.org.services import api_token_user

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# A key is `xg_` + 43 url-safe characters; anything much longer is not one of ours and is not hashed.
KEY_MAX_LENGTH = 200


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <key>` with a key from `xiaoguan apitoken`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        if not token or len(token) > KEY_MAX_LENGTH:
            return None
        return api_token_user(key=token, now=clock_now())


class SessionCsrfAuth(APIKeyCookie):
    """The Django session of a logged-in user, for same-origin pages; unsafe methods need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        # `csrf=True` tells the docs page to send the token; the check itself happens in `authenticate`.
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not isinstance(user, User) or not user.is_active:
            return None
        # Checked only once a session is known to be in use, so a bad bearer token is a 401, not a CSRF 403.
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed")
        return user


api_auth = [BearerTokenAuth(), SessionCsrfAuth()]


def viewer(request: HttpRequest) -> User:
    """The authenticated user of an API request (set by one of `api_auth`)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # pragma: no cover - every operation requires api_auth
        raise HttpError(401, "Unauthorized")
    return user
