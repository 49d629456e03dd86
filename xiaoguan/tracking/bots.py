"""Who is not the recipient: link previewers, mail scanners and probes, recognised so they are not counted as opens.

By user agent (the lists below), by method (HEAD: scanners check that a link answers), by network (published ranges of
mail-security and crawler services, `XIAOGUAN_TRACKING_SCANNER_NETWORKS` adds more) and by behaviour: a hit within
seconds of sending is the chat app or the mail gateway fetching a preview, not a person reading.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

# Lower-case fragments. Chat previewers: WeChat/WeCom and DingTalk/Feishu fetch a card for a pasted link from their
# servers; their fetchers announce themselves (or send no browser UA at all). Real people in those apps' built-in
# browsers send full browser UAs ("... MicroMessenger/8.0 ... wxwork/4.1"), which are NOT matched here.
PREVIEW_AGENTS = (
    "bot", "spider", "crawler", "preview", "facebookexternalhit", "slurp", "embedly", "whatsapp", "telegram", "skypeuripreview",
    "wechatshare", "weixinspider", "wxwork_preview", "dingtalkbot", "dingtalk-preview", "feishu-preview", "larkbot", "lark-preview",
)
SCANNER_AGENTS = (
    "barracuda", "mimecast", "proofpoint", "symantec", "messagelabs", "forcepoint", "trendmicro", "safelinks", "safe links",
    "microsoft office", "ms-office", "urlscan", "virustotal", "sophos", "fortiguard", "zscaler", "checkpoint",
)
# Clients of scripts, not browsers.
SCRIPT_AGENTS = ("python-requests", "python-urllib", "aiohttp", "curl/", "wget/", "go-http-client", "java/", "libwww-perl", "httpclient", "okhttp")
# Published ranges (2025): Google's and Bing's crawlers, Microsoft Exchange Online Protection (Safe Links detonation).
SCANNER_NETWORKS = (
    "66.249.64.0/19", "157.55.39.0/24", "207.46.13.0/24", "40.77.167.0/24",
    "40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17",
)
TOO_SOON_SECONDS = 10


@lru_cache(maxsize=1)
def _networks(extra: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in (*SCANNER_NETWORKS, *extra))


@lru_cache(maxsize=4096)
def _scanner_ip(ip: str, extra: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in net for net in _networks(extra))


@lru_cache(maxsize=2048)
def _agent_flag(agent: str) -> tuple[str, str]:
    low = agent.lower()
    if not low.strip():
        return "bot", "no user agent"
    for fragment in SCANNER_AGENTS:
        if fragment in low:
            return "scanner", fragment
    for fragment in PREVIEW_AGENTS + SCRIPT_AGENTS:
        if fragment in low:
            return "bot", fragment
    if "mozilla" not in low and "opera" not in low:
        return "bot", "not a browser"
    return "", ""


def hit_flag(*, method: str, user_agent: str, ip: str, seconds_since_sent: float) -> tuple[str, str]:
    """("", "") for a hit that counts, else (TrackingHit.Flag value, the detail that decided it)."""
    if method == "HEAD":
        return "head", "HEAD"
    flag, detail = _agent_flag(user_agent[:300])
    if flag:
        return flag, detail
    if ip and _scanner_ip(ip, tuple(getattr(settings, "XIAOGUAN_TRACKING_SCANNER_NETWORKS", ()))):
        return "scanner", ip
    if 0 <= seconds_since_sent < TOO_SOON_SECONDS:
        return "too_soon", f"{seconds_since_sent:.0f}s"
    return "", ""
