"""Match keys for deduplication: the same phone, e-mail or company written in different ways gives the same key."""

from __future__ import annotations

import re
import unicodedata

_NOT_DIGIT = re.compile(r"\D")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# A landline: area code (3–4 digits starting with 0) and a 7–8 digit number, optionally an extension we drop.
_LANDLINE = re.compile(r"0\d{9,11}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_EXTENSION = re.compile(r"(转|ext\.?|x|#)\s*\d+\s*$", re.IGNORECASE)

# Longest first: "股份有限公司" must go before "有限公司" leaves "股份".
_COMPANY_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "有限公司", "股份公司", "集团公司", "总公司", "分公司",
    "公司", "集团", "coltd", "co.,ltd", "co.ltd", "limited", "ltd", "inc", "corp",
)
_COMPANY_REGION_MARKS = re.compile(r"[(（]\s*(中国|中國|china)\s*[)）]", re.IGNORECASE)
_COMPANY_NOISE = re.compile(r"[\s\-_.,，。·・'\"“”‘’()（）\[\]【】&＆/]+")


def _halfwidth(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def phone_key(raw: str) -> str:
    """The bare mainland number: 13812345678 or 02112345678. Empty when it is not a usable number."""
    text = _EXTENSION.sub("", _halfwidth(raw or "").strip())
    digits = _NOT_DIGIT.sub("", text)
    for prefix in ("0086", "86"):
        rest = digits[len(prefix):]
        if digits.startswith(prefix) and not _MOBILE.fullmatch(digits):
            if _MOBILE.fullmatch(rest):
                digits = rest
                break
            if _LANDLINE.fullmatch("0" + rest):  # +86 21 1234 5678 drops the trunk 0
                digits = "0" + rest
                break
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return ""


def email_key(raw: str) -> str:
    text = _halfwidth(raw or "").strip().lower()
    return text if _EMAIL.fullmatch(text) and len(text) <= 254 else ""


def company_key(raw: str) -> str:
    """苏州恒力精密机械有限公司, 苏州恒力精密机械(中国)有限公司 and 苏州恒力精密机械 share one key."""
    text = _COMPANY_REGION_MARKS.sub("", _halfwidth(raw or "").strip().lower())
    text = _COMPANY_NOISE.sub("", text)
    changed = True
    while changed and text:
        changed = False
        for suffix in _COMPANY_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text = text[: -len(suffix)]
                changed = True
                break
    return text[:200]
