"""Template filters of the forecast and weekly-brief pages."""

from __future__ import annotations

from decimal import Decimal

from django import template

from xiaoguan.web.templatetags.web import money_short

register = template.Library()


@register.filter
def signed_money_short(value: float | Decimal | None) -> str:
    """A change in money with its sign: +¥12.5万 / −¥3.0万 / ¥0."""
    if value is None:
        return "—"
    amount = Decimal(repr(float(value)))
    if amount == 0:
        return money_short(Decimal(0))
    return ("+" if amount > 0 else "−") + money_short(abs(amount))


@register.filter
def percent1(value: float | None) -> str:
    """A share with one decimal (forecast errors: 7.4%), — when there is none."""
    return "—" if value is None else f"{value:.1%}"


@register.filter
def get(mapping: dict[str, str], key: str) -> str:
    """`mapping|get:key` (a dict lookup by a variable key)."""
    return mapping.get(key, "")
