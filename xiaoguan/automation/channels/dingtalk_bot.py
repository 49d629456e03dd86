"""钉钉群机器人: POST the webhook URL (…/robot/send?access_token=…) an `actionCard` (with a link) or `markdown`.

加签 (signing), when the bot has a secret: timestamp = now in milliseconds (the wall clock during a replay); sign = urlencode(base64(HmacSHA256(
key=secret, msg=f"{timestamp}\\n{secret}"))), both appended to the URL as query parameters. The answer is
{"errcode": 0, "errmsg": "ok"}; 130101 "send too fast" (20 a minute per bot) and -1 "system busy" are worth a retry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils.translation import gettext as _

from xiaoguan.automation.channels.base import DeliveryFailed, Message, signing_instant
from xiaoguan.automation.channels.http import errcode_check, post_json, summary

RETRYABLE_CODES = frozenset({-1, 130101})


def dingtalk_sign(*, timestamp_ms: int, secret: str) -> str:
    """The documented signature, base64 (not yet URL-encoded)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_signed_url(url: str, *, secret: str, now: datetime) -> str:
    if not secret:
        return url
    timestamp_ms = int(signing_instant(now).timestamp() * 1000)
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("timestamp", "sign")]
    query += [("timestamp", str(timestamp_ms)), ("sign", dingtalk_sign(timestamp_ms=timestamp_ms, secret=secret))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def dingtalk_bot_payload(message: Message) -> dict[str, Any]:
    text = f"### {message.title}"
    if message.body:
        text += f"\n\n{message.body}"
    if message.link:
        return {
            "msgtype": "actionCard",
            "actionCard": {
                "title": message.title,
                "text": text,
                "btnOrientation": "0",
                "singleTitle": _("查看详情"),
                "singleURL": message.link,
            },
        }
    return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}


def dingtalk_bot_send(*, address: dict[str, Any], message: Message, now: datetime) -> str:
    url = str(address.get("url") or "")
    if not url:
        raise DeliveryFailed(_("未配置 Webhook 地址"), retryable=False)
    signed = dingtalk_signed_url(url, secret=str(address.get("secret") or ""), now=now)
    data = post_json(signed, dingtalk_bot_payload(message))
    errcode_check(data, code_key="errcode", message_key="errmsg", retryable_codes=RETRYABLE_CODES, platform="DingTalk")
    return summary(data)
