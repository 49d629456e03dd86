"""Money is Decimal, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MONEY_MAX_DIGITS = 16
MONEY_DECIMAL_PLACES = 2


def money_round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_json(value: Decimal | None) -> float | None:
    """Money in JSON: a number rounded to 2 decimals (spec/cli.md)."""
    return None if value is None else float(money_round(value))


def format_cny(value: float | Decimal) -> str:
    """An amount for sentences written by the system (forecast explanations): ¥5,061.2万, ¥8,300."""
    amount = float(value)
    if abs(amount) >= 10_000:
        return f"¥{amount / 10_000:,.1f}万"
    return f"¥{amount:,.0f}"
