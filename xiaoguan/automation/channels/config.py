"""The outside platforms' credentials and addresses: read from settings, else from the environment, at call time
(so a test or an operator can change them without a restart of the import)."""

from __future__ import annotations

import os

from django.conf import settings

# name -> default. The lead adds these to config/settings.py; until then the environment is read directly.
DEFAULTS: dict[str, str] = {
    "XIAOGUAN_WECOM_CORP_ID": "",
    "XIAOGUAN_WECOM_AGENT_ID": "",
    "XIAOGUAN_WECOM_SECRET": "",
    "XIAOGUAN_WECOM_API_BASE": "https://qyapi.weixin.qq.com",
    "XIAOGUAN_DINGTALK_APP_KEY": "",
    "XIAOGUAN_DINGTALK_APP_SECRET": "",
    "XIAOGUAN_DINGTALK_AGENT_ID": "",
    "XIAOGUAN_DINGTALK_API_BASE": "https://oapi.dingtalk.com",
    "XIAOGUAN_NOTIFY_HTTP_TIMEOUT": "5",
}


def setting(name: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, DEFAULTS[name])
    return str(value).strip()


def http_timeout() -> float:
    try:
        return max(float(setting("XIAOGUAN_NOTIFY_HTTP_TIMEOUT")), 0.1)
    except ValueError:
        return 5.0
