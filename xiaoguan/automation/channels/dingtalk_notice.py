"""钉钉工作通知 (a work notice to one person from the organisation's internal app).

GET {base}/gettoken?appkey=…&appsecret=… → {"errcode": 0, "access_token": "…", "expires_in": 7200}, then
POST {base}/topapi/message/corpconversation/asyncsend_v2?access_token=… with {"agent_id": …, "userid_list": "…",
"msg": {"msgtype": "action_card", "action_card": {"title", "markdown", "single_title", "single_url"}}} (a `markdown`
message when there is no link). The answer is {"errcode": 0, "errmsg": "ok", "task_id": …}.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from xiaoguan.automation.channels.base import DeliveryFailed, Message
from xiaoguan.automation.channels.config import setting
from xiaoguan.automation.channels.http import errcode_check, get_json, summary
from xiaoguan.automation.channels.tokens import post_with_token, token_cache_key, token_from

# -1 system busy; 90018 / 90002 call-frequency limits.
RETRYABLE_CODES = frozenset({-1, 90002, 90018})


def _credentials() -> tuple[str, str, str, str]:
    base = setting("XIAOGUAN_DINGTALK_API_BASE").rstrip("/")
    app_key, secret, agent_id = setting("XIAOGUAN_DINGTALK_APP_KEY"), setting("XIAOGUAN_DINGTALK_APP_SECRET"), setting("XIAOGUAN_DINGTALK_AGENT_ID")
    if not (app_key and secret and agent_id):
        raise DeliveryFailed(_("钉钉应用未配置（XIAOGUAN_DINGTALK_APP_KEY / APP_SECRET / AGENT_ID）"), retryable=False)
    return base, app_key, agent_id, secret


def dingtalk_notice_payload(*, userid: str, agent_id: int, message: Message) -> dict[str, Any]:
    markdown = f"### {message.title}" + (f"\n\n{message.body}" if message.body else "")
    if message.link:
        msg: dict[str, Any] = {
            "msgtype": "action_card",
            "action_card": {"title": message.title, "markdown": markdown, "single_title": _("查看详情"), "single_url": message.link},
        }
    else:
        msg = {"msgtype": "markdown", "markdown": {"title": message.title, "text": markdown}}
    return {"agent_id": agent_id, "userid_list": userid, "msg": msg}


def dingtalk_notice_send(*, address: dict[str, Any], message: Message, now: datetime) -> str:
    userid = str(address.get("userid") or "")
    if not userid:
        raise DeliveryFailed(_("接收人没有钉钉账号（dingtalk_userid）"), retryable=False)
    base, app_key, agent_id, secret = _credentials()
    try:
        agent = int(agent_id)
    except ValueError:
        raise DeliveryFailed(_("XIAOGUAN_DINGTALK_AGENT_ID 不是数字"), retryable=False) from None
    key = token_cache_key(platform="dingtalk", base=base, app_id=app_key, secret=secret)

    def fetch() -> tuple[str, int]:
        data = get_json(f"{base}/gettoken?{urlencode({'appkey': app_key, 'appsecret': secret})}")
        errcode_check(data, code_key="errcode", message_key="errmsg", retryable_codes=RETRYABLE_CODES, platform="DingTalk gettoken")
        return token_from(data)

    payload = dingtalk_notice_payload(userid=userid, agent_id=agent, message=message)
    send_url = f"{base}/topapi/message/corpconversation/asyncsend_v2"
    data = post_with_token(key=key, fetch=fetch, url_for=lambda token: f"{send_url}?{urlencode({'access_token': token})}", payload=payload)
    errcode_check(data, code_key="errcode", message_key="errmsg", retryable_codes=RETRYABLE_CODES, platform="DingTalk")
    return summary(data)
