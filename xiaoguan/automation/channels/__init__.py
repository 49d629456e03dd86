"""Outbound notification channels: one module per platform, each sending one message in its documented format.

`deliver(channel=…, address=…, message=…, now=…)` sends and returns a short summary of the platform's answer, or raises
`DeliveryFailed(detail, retryable=…)`. Addresses per channel:

- email: {"to": "…"} ({"email": "…"} is read too)
- wecom_notice / dingtalk_notice: {"userid": "…"} (User.wecom_userid / User.dingtalk_userid)
- wecom_bot / dingtalk_bot / feishu_bot: {"url": "…", "secret": "…"} (delivery.py resolves {"bot_id": …} to these)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from xiaoguan.automation.channels.base import DeliveryFailed, Message
from xiaoguan.automation.channels.dingtalk_bot import dingtalk_bot_send
from xiaoguan.automation.channels.dingtalk_notice import dingtalk_notice_send
from xiaoguan.automation.channels.feishu_bot import feishu_bot_send
from xiaoguan.automation.channels.mail import email_send
from xiaoguan.automation.channels.wecom_bot import wecom_bot_send
from xiaoguan.automation.channels.wecom_notice import wecom_notice_send

__all__ = ["BOT_CHANNELS", "SENDERS", "DeliveryFailed", "Message", "deliver"]

Sender = Callable[..., str]

SENDERS: dict[str, Sender] = {
    "email": email_send,
    "wecom_notice": wecom_notice_send,
    "dingtalk_notice": dingtalk_notice_send,
    "wecom_bot": wecom_bot_send,
    "dingtalk_bot": dingtalk_bot_send,
    "feishu_bot": feishu_bot_send,
}
BOT_CHANNELS = frozenset({"wecom_bot", "dingtalk_bot", "feishu_bot"})


def deliver(*, channel: str, address: dict[str, Any], message: Message, now: datetime) -> str:
    """Send `message` on `channel` to `address`; the platform's answer, short, for the delivery log."""
    sender = SENDERS.get(channel)
    if sender is None:
        raise DeliveryFailed(f"未知渠道：{channel}", retryable=False)
    return sender(address=address, message=message, now=now)
