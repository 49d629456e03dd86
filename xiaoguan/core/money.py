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
