"""企业微信群机器人: POST the webhook URL (…/cgi-bin/webhook/send?key=…) a `markdown` message.

Documented format: {"msgtype": "markdown", "markdown": {"content": "…"}}, content at most 4096 bytes; the answer is
{"errcode": 0, "errmsg": "ok"}. 45009 is the rate limit (20 messages a minute per bot), -1 "system busy".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from xiaoguan.automation.channels.base import DeliveryFailed, Message, truncate_bytes
from xiaoguan.automation.channels.http import errcode_check, post_json, summary

CONTENT_MAX_BYTES = 4096
RETRYABLE_CODES = frozenset({-1, 45009})


def _markdown_escape(text: str) -> str:
    # WeCom's markdown has no escapes; keep a title from turning into a heading or a link by accident.
    return text.replace("\r", "").replace("[", "【").replace("]", "】")


def wecom_bot_payload(message: Message) -> dict[str, Any]:
    lines = [f"**{_markdown_escape(message.title)}**"]
    if message.body:
        lines.append(_markdown_escape(message.body))
    if message.link:
        lines.append(f"[{_('查看详情')}]({message.link})")
    return {"msgtype": "markdown", "markdown": {"content": truncate_bytes("\n".join(lines), CONTENT_MAX_BYTES)}}


def wecom_bot_send(*, address: dict[str, Any], message: Message, now: datetime) -> str:
    url = str(address.get("url") or "")
    if not url:
        raise DeliveryFailed(_("未配置 Webhook 地址"), retryable=False)
    data = post_json(url, wecom_bot_payload(message))
    errcode_check(data, code_key="errcode", message_key="errmsg", retryable_codes=RETRYABLE_CODES, platform="WeCom")
    return summary(data)
