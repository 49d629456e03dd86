"""An interval on a page is written in one unit: never ¥5,346–¥130.0万."""

from __future__ import annotations

from django.utils import translation

from xiaoguan.web.templatetags.web import money_range


def test_both_ends_take_the_unit_of_the_larger_one():
    with translation.override("zh-hans"):
        assert money_range(5346, 1_300_000) == "¥0.5万–¥130.0万"
        assert money_range(0, 5000) == "¥0–¥5,000"
        assert money_range(120_000_000, 250_000_000) == "¥1.20亿–¥2.50亿"
        assert money_range(None, 5) == "—"
    with translation.override("en"):
        assert money_range(5346, 1_300_000) == "¥0.01M–¥1.30M"
