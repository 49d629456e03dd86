"""The lead's clock as the inbox shows it: green while there is time, amber in the last 15 minutes, red when overdue."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from xiaoguan.core.clock import clock_now
from xiaoguan.leads.models import Lead

register = template.Library()
AMBER_MINUTES = 15


def _span(minutes: int) -> str:
    hours, rest = divmod(max(minutes, 0), 60)
    if hours >= 24:
        return _("%(d)s天%(h)s小时") % {"d": hours // 24, "h": hours % 24}
    if hours:
        return _("%(h)s小时%(m)s分") % {"h": hours, "m": rest}
    return _("%(m)s分钟") % {"m": rest}


@register.simple_tag
def sla_chip(lead: Lead, now: datetime | None = None) -> SafeString | str:
    if lead.is_closed or lead.owner_id is None:
        return ""
    now = now or clock_now()
    if lead.first_contact_at is not None:
        if lead.assigned_at is None:
            return ""
        took = int((lead.first_contact_at - lead.assigned_at).total_seconds() // 60)
        return format_html('<span class="pill green sla" title="{}">{}</span>', _("首次联系用时"), _("%(span)s 内已联系") % {"span": _span(took)})
    due = lead.first_contact_due_at
    if due is None:
        return ""
    left = int((due - now).total_seconds() // 60)
    if left < 0:
        return format_html('<span class="pill red sla" title="{}">{}</span>', _("首次联系已超时"), _("超时 %(span)s") % {"span": _span(-left)})
    colour = "orange" if left <= AMBER_MINUTES else "green"
    return format_html('<span class="pill {} sla" title="{}">{}</span>', colour, _("首次联系剩余时间"), _("剩 %(span)s") % {"span": _span(left)})
