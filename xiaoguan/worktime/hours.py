"""Working hours as text ("09:00-12:00,13:30-18:00", weekdays "12345") and as minutes of the day."""

from __future__ import annotations

import itertools
import re

from django.utils.translation import gettext as _

_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")


class HoursFormatError(ValueError):
    pass


def periods_parse(text: str) -> tuple[tuple[int, int], ...]:
    """"09:00-12:00,13:30-18:00" → ((540, 720), (810, 1080)): sorted, non-overlapping, within 00:00–24:00."""
    periods: list[tuple[int, int]] = []
    for part in re.split(r"[,，;；\n]+", text.strip()):
        if not part.strip():
            continue
        match = _PERIOD.match(part)
        if not match:
            raise HoursFormatError(_("无法识别的时段：%(text)s") % {"text": part.strip()})
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or start > 1440 or end > 1440:
            raise HoursFormatError(_("时间超出范围：%(text)s") % {"text": part.strip()})
        if end <= start:
            raise HoursFormatError(_("结束时间须晚于开始时间：%(text)s") % {"text": part.strip()})
        periods.append((start, end))
    if not periods:
        raise HoursFormatError(_("至少需要一个工作时段"))
    periods.sort()
    for (_start, end), (start, _end) in itertools.pairwise(periods):
        if start < end:
            raise HoursFormatError(_("工作时段不能重叠"))
    return tuple(periods)


def periods_format(periods: tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in periods)


def weekdays_parse(text: str) -> frozenset[int]:
    """"12345" → {0, 1, 2, 3, 4} (Python's weekday(), Monday = 0)."""
    digits = [c for c in text if not c.isspace() and c not in ",，"]
    if not digits or any(c not in "1234567" for c in digits):
        raise HoursFormatError(_("工作日请用 1–7 的数字表示（1=周一），如 12345"))
    return frozenset(int(c) - 1 for c in digits)


def weekdays_format(days: frozenset[int]) -> str:
    return "".join(str(d + 1) for d in sorted(days))
