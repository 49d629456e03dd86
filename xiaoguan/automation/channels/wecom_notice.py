"""企业微信工作通知 (an application message to one person, so it reaches their phone).

GET {base}/cgi-bin/gettoken?corpid=…&corpsecret=… → {"errcode": 0, "access_token": "…", "expires_in": 7200}, then
POST {base}/cgi-bin/message/send?access_token=… with {"touser": userid, "msgtype": "textcard", "agentid": …,
"textcard": {"title", "description", "url", "btntxt"}} (a plain `text` message when there is no link: a textcard
needs its url). The answer {"errcode": 0, "errmsg": "ok", "invaliduser": ""} lists recipients it could not reach.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from xiaoguan.automation.channels.base import DeliveryFailed, Message, truncate_bytes
from xiaoguan.automation.channels.config import setting
from xiaoguan.automation.channels.http import errcode_check, get_json, summary
from xiaoguan.automation.channels.tokens import post_with_token, token_cache_key, token_from

# -1 system busy, 45009 rate limit, 45033 too many concurrent calls.
RETRYABLE_CODES = frozenset({-1, 45009, 45033})
TITLE_MAX_BYTES = 128
DESCRIPTION_MAX_BYTES = 512
TEXT_MAX_BYTES = 2048


def _credentials() -> tuple[str, str, str, str]:
    base = setting("XIAOGUAN_WECOM_API_BASE").rstrip("/")
    corp_id, agent_id, secret = setting("XIAOGUAN_WECOM_CORP_ID"), setting("XIAOGUAN_WECOM_AGENT_ID"), setting("XIAOGUAN_WECOM_SECRET")
    if not (corp_id and agent_id and secret):
        raise DeliveryFailed(_("企业微信应用未配置（XIAOGUAN_WECOM_CORP_ID / AGENT_ID / SECRET）"), retryable=False)
    return base, corp_id, agent_id, secret


def wecom_notice_payload(*, userid: str, agent_id: int, message: Message) -> dict[str, Any]:
    if message.link:
        return {
            "touser": userid,
            "msgtype": "textcard",
            "agentid": agent_id,
            "textcard": {
                "title": truncate_bytes(message.title, TITLE_MAX_BYTES),
                "description": truncate_bytes(message.body or message.title, DESCRIPTION_MAX_BYTES),
                "url": message.link,
                "btntxt": _("详情"),
            },
        }
    content = message.title + (f"\n{message.body}" if message.body else "")
    return {"touser": userid, "msgtype": "text", "agentid": agent_id, "text": {"content": truncate_bytes(content, TEXT_MAX_BYTES)}}


def wecom_notice_send(*, address: dict[str, Any], message: Message, now: datetime) -> str:
    userid = str(address.get("userid") or "")
    if not userid:
        raise DeliveryFailed(_("接收人没有企业微信账号（wecom_userid）"), retryable=False)
    base, corp_id, agent_id, secret = _credentials()
    try:
        agent = int(agent_id)
    except ValueError:
        raise DeliveryFailed(_("XIAOGUAN_WECOM_AGENT_ID 不是数字"), retryable=False) from None
    key = token_cache_key(platform="wecom", base=base, app_id=f"{corp_id}:{agent_id}", secret=secret)

    def fetch() -> tuple[str, int]:
        data = get_json(f"{base}/cgi-bin/gettoken?{urlencode({'corpid': corp_id, 'corpsecret': secret})}")
        errcode_check(data, code_key="errcode", message_key="errmsg", retryable_codes=RETRYABLE_CODES, platform="WeCom gettoken")
        return token_from(data)

    payload = wecom_notice_payload(userid=userid, agent_id=agent, message=message)
    data = post_with_token(key=key, fetch=fetch, url_for=lambda token: f"{base}/cgi-bin/message/send?{urlencode({'access_token': token})}", payload=payload)
    errcode_check(data, code_key="errcode", message_key="errmsg", retryable_codes=RETRYABLE_CODES, platform="WeCom")
    if data.get("invaliduser"):
        raise DeliveryFailed(_("企业微信无法送达该成员：%(user)s") % {"user": data["invaliduser"]}, retryable=False)
    return summary(data)
