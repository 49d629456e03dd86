"""How JSON goes in and out: decimals stay exact, NaN/Infinity are refused, Chinese text is not escaped."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, NoReturn, cast

from django.http import HttpRequest
from ninja.parser import Parser
from ninja.renderers import JSONRenderer


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


class DecimalJSONParser(Parser):
    """Numbers with a fraction become Decimal, so 0.1 + 0.2 of a contract value is exactly 0.3."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(request.body, parse_float=Decimal, parse_constant=_refuse_constant))


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as itself, not as \\uXXXX escapes: half the bytes and readable in a terminal."""

    json_dumps_params = {"ensure_ascii": False}
