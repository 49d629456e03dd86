"""Template helpers of the cockpit pages (驾驶舱): days, percentages and bands as the charts show them."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def days(value: float | None) -> str:
    """Days to one decimal ("12.5"); "—" when there is nothing to measure."""
    return "—" if value is None else f"{value:.1f}"


@register.filter
def score(value: float | None) -> str:
    """A 0–100 score as a whole number; "—" when there is nothing to measure."""
    return "—" if value is None else f"{value:.0f}"
