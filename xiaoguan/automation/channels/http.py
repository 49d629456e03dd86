"""JSON over HTTP with the standard library: short timeouts, and failures sorted into retry-later and give-up."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from xiaoguan.automation.channels.base import DeliveryFailed
from xiaoguan.automation.channels.config import http_timeout

# Kept in the delivery log: enough to see what the platform said, not a whole HTML error page.
SUMMARY_CHARS = 500


def _checked_url(url: str) -> str:
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryFailed(f"不支持的地址：{url[:100]}", retryable=False)
    return url


def _open(request: urllib.request.Request) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=http_timeout()) as response:  # noqa: S310 - scheme checked above
            raw = response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()[:SUMMARY_CHARS].decode(errors="replace")
        # A receiver that is down or overloaded answers 5xx (or 429); a wrong address or payload answers 4xx for good.
        retryable = exc.code >= 500 or exc.code == 429
        raise DeliveryFailed(f"HTTP {exc.code}: {body}".strip(), retryable=retryable) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailed(f"连接失败：{reason}", retryable=True) from exc
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DeliveryFailed(f"响应不是 JSON：{raw[:200].decode(errors='replace')}", retryable=False) from exc
    if not isinstance(data, dict):
        raise DeliveryFailed(f"响应格式不对：{str(data)[:200]}", retryable=False)
    return data


def post_json(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST `payload` as UTF-8 JSON and return the decoded JSON object the platform answered."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked
        _checked_url(url), data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    return _open(request)


def get_json(url: str) -> dict[str, Any]:
    request = urllib.request.Request(_checked_url(url), method="GET")  # noqa: S310 - scheme checked
    return _open(request)


def summary(data: dict[str, Any]) -> str:
    """The platform's answer, short, for the delivery log."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True)[:SUMMARY_CHARS]


def code_of(data: dict[str, Any], key: str) -> int | None:
    """The platform's error code as a number; None when it is not one."""
    try:
        return int(data.get(key, 0) or 0)
    except (TypeError, ValueError):
        return None


def errcode_check(data: dict[str, Any], *, code_key: str, message_key: str, retryable_codes: frozenset[int], platform: str) -> None:
    """Raise when the platform's JSON answer carries a non-zero error code (HTTP 200 is not success on these APIs)."""
    code = code_of(data, code_key)
    if code is None:
        raise DeliveryFailed(f"{platform} 响应无法识别：{summary(data)}", retryable=False)
    if code != 0:
        message = data.get(message_key, "")
        raise DeliveryFailed(f"{platform} {code_key}={code} {message}".strip(), retryable=code in retryable_codes)
