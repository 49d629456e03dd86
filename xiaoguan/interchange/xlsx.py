"""Spreadsheet helpers for files meant for Excel/WPS (per-user exports, UI uploads).

The interchange folder (`xiaoguan export`) stays exact; only files a person opens in a spreadsheet
program get `spreadsheet_safe`, because there a cell starting with `=`, `+`, `-` or `@` is run as a
formula (CSV/formula injection).
"""

from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """The value as a spreadsheet cell that can never be run as a formula.

    Text starting with a formula trigger gets a leading `'`; numbers, dates and other values pass
    through unchanged (a negative number is a number, not a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
