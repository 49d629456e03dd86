"""飞书 / Lark 群机器人 (custom bot): POST the webhook URL (…/open-apis/bot/v2/hook/…) a rich-text `post` message.

签名校验, when the bot has a secret: timestamp = now in seconds (the wall clock during a replay); sign = base64(HmacSHA256(key=f"{timestamp}\\n{secret}",
msg=b"")), both sent in the JSON body. The answer is {"code": 0, "msg": "success", "data": {}} (older deployments:
{"StatusCode": 0, "StatusMessage": "success"}); 11232 is the rate limit, 2200 an internal error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from xiaoguan.automation.channels.base import DeliveryFailed, Message, signing_instant
from xiaoguan.automation.channels.http import errcode_check, post_json, summary

RETRYABLE_CODES = frozenset({2200, 11232})


def feishu_sign(*, timestamp: int, secret: str) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_bot_payload(message: Message) -> dict[str, Any]:
    lines: list[list[dict[str, str]]] = []
    for paragraph in message.body.splitlines():
        lines.append([{"tag": "text", "text": paragraph}])
    if message.link:
        lines.append([{"tag": "a", "text": _("查看详情"), "href": message.link}])
    return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": message.title, "content": lines}}}}


def feishu_bot_send(*, address: dict[str, Any], message: Message, now: datetime) -> str:
    url = str(address.get("url") or "")
    if not url:
        raise DeliveryFailed(_("未配置 Webhook 地址"), retryable=False)
    payload = feishu_bot_payload(message)
    if secret := str(address.get("secret") or ""):
        timestamp = int(signing_instant(now).timestamp())
        payload = {"timestamp": str(timestamp), "sign": feishu_sign(timestamp=timestamp, secret=secret), **payload}
    data = post_json(url, payload)
    key = "StatusCode" if "StatusCode" in data and "code" not in data else "code"
    errcode_check(data, code_key=key, message_key="msg" if key == "code" else "StatusMessage", retryable_codes=RETRYABLE_CODES, platform="Feishu")
    return summary(data)
