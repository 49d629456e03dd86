"""Template helpers of the pages: money, masked phones, the navigation, icons."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django import template
from django.db.models import Model
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from xiaoguan.core.clock import clock_today
from xiaoguan.org.models import Role
from xiaoguan.org.visibility import phone_for
from xiaoguan.web.views.common import is_admin, leads_team, works_sales

register = template.Library()


@register.filter
def money(value: Decimal | int | None) -> str:
    """¥1,234,567 (cents only when there are some)."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value)  # type: ignore[arg-type]
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"¥{text}"


@register.filter
def money_short(value: Decimal | int | None) -> str:
    """A compact amount for cards and figures: 30.5万 / 1.20亿 in Chinese, 305.0k / 1.2M in English."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value)  # type: ignore[arg-type]
    if (get_language() or "zh-hans").startswith("zh"):
        if abs(amount) >= 100_000_000:
            return f"¥{amount / 100_000_000:,.2f}亿"
        if abs(amount) >= 10_000:
            return f"¥{amount / 10_000:,.1f}万"
        return f"¥{amount:,.0f}"
    if abs(amount) >= 1_000_000:
        return f"¥{amount / 1_000_000:,.2f}M"
    if abs(amount) >= 1_000:
        return f"¥{amount / 1_000:.1f}k"
    return f"¥{amount:,.0f}"


@register.filter
def money_range(low: Decimal | float | None, high: Decimal | float | None) -> str:
    """"¥0.5万–¥130.0万": both ends in the unit of the larger one, so a range never mixes ¥5,346 with ¥130.0万."""
    if low in (None, "") or high in (None, ""):
        return "—"
    lo, hi = Decimal(str(low)), Decimal(str(high))
    top = max(abs(lo), abs(hi))
    if (get_language() or "zh-hans").startswith("zh"):
        unit, suffix, digits = (100_000_000, "亿", 2) if top >= 100_000_000 else (10_000, "万", 1) if top >= 10_000 else (1, "", 0)
    else:
        unit, suffix, digits = (1_000_000, "M", 2) if top >= 1_000_000 else (1_000, "k", 1) if top >= 1_000 else (1, "", 0)
    return f"¥{lo / unit:,.{digits}f}{suffix}–¥{hi / unit:,.{digits}f}{suffix}"


@register.simple_tag(takes_context=True)
def phone_shown(context: template.Context, phone: str, owner_id: int | None) -> str:
    """The phone as the viewer may read it: in full for the record's owner, masked for everyone else (PIPL)."""
    return phone_for(user=context["request"].user, owner_id=owner_id, phone=phone or "")


@lru_cache(maxsize=256)
def _choice_labels(model: type[Model], field: str, language: str) -> dict[Any, str]:
    choices = getattr(model._meta.get_field(field), "flatchoices", None) or []
    return {value: str(label) for value, label in choices}


@register.filter
def label(obj: Any, field: str) -> str:
    """`{{ lead|label:"status" }}`: the choice's label, like get_status_display but without rebuilding the choices
    on every call (a 50-row list calls it hundreds of times)."""
    value = getattr(obj, field)
    return _choice_labels(obj.__class__, field, get_language() or "").get(value, "" if value is None else str(value))


@register.filter
def when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time in the organisation's zone, `strftime` style (the `date` filter's localisation is slow in long lists)."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime(fmt)


@lru_cache(maxsize=64)
def _url_pattern(name: str, prefix: str) -> tuple[str, str]:
    head, _sep, tail = reverse(name, args=["__ID__"]).partition("__ID__")
    return head, tail


@register.filter
def detail_url(external_id: str, name: str) -> str:
    """`{{ lead.external_id|detail_url:"web:lead_detail" }}`: `{% url %}` for one-argument pages, resolved once."""
    head, tail = _url_pattern(name, get_script_prefix())
    return f"{head}{quote(str(external_id), safe='')}{tail}"


@register.filter
def entered_late(activity: Any) -> str:
    """"补录 3 天后" when an activity was typed in a day or more after it happened: the gap is evidence, so show it."""
    if activity.recorded_at is None or activity.occurred_at is None:
        return ""
    days = (activity.recorded_at - activity.occurred_at).days
    if days < 1:
        return ""
    return ngettext("%(days)s 天后补录", "%(days)s 天后补录", days) % {"days": days}


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


_ICONS = {
    "phone": (
        "M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7"
        "c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2z"
    ),
    "bell": "M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.94 1.94 0 0 0 3.4 0",
    "pool": "M3 12h18M3 12c2-3 4-3 6 0s4 3 6 0 4-3 6 0M3 17c2-3 4-3 6 0s4 3 6 0 4-3 6 0M12 3v6M9 6l3 3 3-3",
    "gauge": "M12 21a9 9 0 1 1 9-9M12 12l5-4M3 12h2M12 3v2M19 12h2",
    "chart": "M4 20V11M10 20V5M16 20v-6M21 20H3",
    "settings": "M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0M14 4v4M8 10v4M16 16v4",
    "home": "M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z",
    "inbox": "M4 4h16v10h-4.5a3.5 3.5 0 0 1-7 0H4zM4 14v6h16v-6",
    "building": "M4 21V5a1 1 0 0 1 1-1h9a1 1 0 0 1 1 1v16M15 9h4a1 1 0 0 1 1 1v11M8 8h3M8 12h3M8 16h3M2 21h20",
    "board": "M4 4h4v16H4zM10 4h4v10h-4zM16 4h4v13h-4z",
    "plus": "M12 5v14M5 12h14",
    "team": "M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2 20a6 6 0 0 1 12 0M14 14.5a6 6 0 0 1 8 5.5",
    "search": "M11 18a7 7 0 1 1 0-14 7 7 0 0 1 0 14zM21 21l-5-5",
    "swap": "M7 7h13l-4-4M17 17H4l4 4",
    "mail": "M3 6h18v12H3zM3 6l9 7 9-7",
    "import": "M12 3v12M7 10l5 5 5-5M4 17v3h16v-3",
    "menu": "M4 6h16M4 12h16M4 18h16",
    "admin": "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM12 2v3M12 19v3M4.2 4.2l2.1 2.1M17.7 17.7l2.1 2.1M2 12h3M19 12h3M4.2 19.8l2.1-2.1M17.7 6.3l2.1-2.1",
    "download": "M12 4v11M7 10l5 5 5-5M5 20h14",
    "pin": "M12 21s-7-6.2-7-11.5a7 7 0 0 1 14 0C19 14.8 12 21 12 21zM12 12a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z",
    "check": "M5 12.5 10 17 19 7",
    "clock": "M12 21a9 9 0 1 1 0-18 9 9 0 0 1 0 18zM12 7v5l3 2",
    "logout": "M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10",
    "globe": "M12 21a9 9 0 1 1 0-18 9 9 0 0 1 0 18zM3 12h18M12 3c2.5 2.5 3.5 5.5 3.5 9s-1 6.5-3.5 9c-2.5-2.5-3.5-5.5-3.5-9s1-6.5 3.5-9z",
}


@register.simple_tag
def icon(name: str, size: int = 20) -> SafeString:
    path = _ICONS.get(name, "")
    return format_html(
        '<svg class="icon" width="{}" height="{}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" '
        'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="{}"/></svg>',
        size, size, path,
    )


def _cockpit_names(current: str) -> tuple[str, ...]:
    # Every cockpit page (URL names cockpit, cockpit_*) lights the one 驾驶舱 entry.
    return (current,) if current == "cockpit" or current.startswith("cockpit_") else ("cockpit",)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@register.simple_tag(takes_context=True)
def web_nav(context: template.Context) -> list[dict[str, Any]]:
    """The menu for this user: an entry exists only for a page that works for their role."""
    request = context["request"]
    user = request.user
    current = request.resolver_match.url_name if request.resolver_match else ""
    items: list[tuple[str, str, str, tuple[str, ...], bool]] = [
        # (url name, label, icon, url names that count as "here", shown in the phone's bottom bar)
        ("web:home", pgettext("menu", "工作台"), "home", ("home",), True),
    ]
    if user.role != Role.FINANCE:
        items.append(("web:lead_list", pgettext("menu", "线索"), "inbox", ("lead_list", "lead_detail", "lead_convert", "lead_new"), True))
    items.append(("web:account_list", pgettext("menu", "客户"), "building", ("account_list", "account_detail"), True))
    if user.role != Role.FINANCE:
        items.append(("web:opportunity_board", pgettext("menu", "商机"), "board", ("opportunity_board", "opportunity_detail"), True))
    if user.role in (Role.REP, Role.MANAGER, Role.DIRECTOR, Role.ADMIN):
        items.append(("web:lead_pool", pgettext("menu", "公海"), "pool", ("lead_pool",), False))
    if leads_team(user):
        items.append(("web:team", pgettext("menu", "团队"), "team", ("team",), False))
        items.append(("web:cockpit", pgettext("menu", "驾驶舱"), "chart", _cockpit_names(current), False))
        items.append(("web:sla_board", pgettext("menu", "时效看板"), "gauge", ("sla_board",), False))
        items.append(("web:insights_authenticity", pgettext("menu", "记录真实性"), "gauge", ("insights_authenticity",), False))
        items.append(("web:insights_verification", pgettext("menu", "三层验证"), "gauge", ("insights_verification",), False))
        items.append(("web:target_fit", pgettext("menu", "目标适配度"), "chart", ("target_fit",), False))
    items.append(("web:search", pgettext("menu", "搜索"), "search", ("search",), False))
    # Import pages come from interchange: the admin's bulk upload, a rep's own lead sheet. Shown only once they exist.
    if is_admin(user) and _url("web:import_home"):
        items.append(("web:import_home", pgettext("menu", "导入"), "import", ("import_home", "import_detail"), False))
    elif user.role == Role.REP and _url("web:leads_import"):
        items.append(("web:leads_import", pgettext("menu", "导入"), "import", ("leads_import", "leads_import_map"), False))
    if is_admin(user) or user.role == Role.DIRECTOR:
        items.append(("web:lead_settings", pgettext("menu", "线索设置"), "settings", ("lead_settings",), False))
    if is_admin(user):
        items.append(("web:invite", pgettext("menu", "邀请同事"), "mail", ("invite",), False))
        items.append(("web:handover", pgettext("menu", "离职交接"), "swap", ("handover",), False))
    return [
        {"url": reverse(name), "label": label, "icon": icon_name, "active": current in names, "tab": tab}
        for name, label, icon_name, names, tab in items
    ]


@register.simple_tag(takes_context=True)
def can_log_activity(context: template.Context) -> bool:
    return works_sales(context["request"].user)


@register.simple_tag(takes_context=True)
def calendar_banner(context: template.Context) -> SafeString | str:
    """The holiday table's coverage warning, for the people who can act on it (admins, directors, managers)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role not in (Role.ADMIN, Role.DIRECTOR, Role.MANAGER):
        return ""
    from xiaoguan.worktime.selectors import calendar_warning

    warning = calendar_warning(today=clock_today())
    if not warning:
        return ""
    link = _url("web:worktime_calendar")
    if link and is_admin(user):
        return format_html('<div class="calendar-warning" role="status">{} <a href="{}">{}</a></div>', warning, link, _("去维护节假日表"))
    return format_html('<div class="calendar-warning" role="status">{}</div>', warning)
