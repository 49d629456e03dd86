"""Match keys for deduplication: the same phone, e-mail or company written in different ways gives the same key."""

from __future__ import annotations

import re
import unicodedata

_NOT_DIGIT = re.compile(r"\D")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# A landline: area code (3–4 digits starting with 0) and a 7–8 digit number, optionally an extension we drop.
_LANDLINE = re.compile(r"0\d{9,11}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_EXTENSION = re.compile(r"(转|分机|ext\.?|x|#)\s*\d+\s*$", re.IGNORECASE)
# "021-12345678-801": a short last group after a full number is an extension too.
_TRAILING_GROUP = re.compile(r"[-－\s]+\d{1,5}\s*$")
# People type two numbers in one field ("138… / 139…"); the first one is the key.
_SEPARATORS = re.compile(r"[,，;；/、|]|\s或\s")
# Letters left in a number ("138abc12345678", "l3812345678") mean it was mistyped: no key rather than a guess.
_LETTER = re.compile(r"[^\W\d_]")
_LABEL = re.compile(r"^[^\d+(]{0,12}[:：]")  # "手机：", "Tel:"

# Longest first: "股份有限公司" must go before "有限公司" leaves "股份".
_COMPANY_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "有限公司", "股份公司", "集团公司", "总公司", "分公司",
    "公司", "集团", "coltd", "co.,ltd", "co.ltd", "limited", "ltd", "inc", "corp",
)
_SUFFIX_FRAGMENTS = frozenset({"有限", "股份", "股份有限", "有限责任", "集团", "集团有限", "集团股份有限"})
_COMPANY_REGION_MARKS = re.compile(r"[(（]\s*(中国|中國|china)\s*[)）]", re.IGNORECASE)
_COMPANY_NOISE = re.compile(r"[\s\-_.,，。·・'\"“”‘’()（）\[\]【】&＆/]+")


def _halfwidth(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def phone_key(raw: str) -> str:
    """The bare mainland number: 13812345678 or 02112345678. Empty when it is not a usable number.

    Accepts +86 / 0086 / 86 prefixes, spaces, dashes, brackets, full-width digits, an extension (转 801, ext 12,
    -801) and a second number after a separator. A number with another country's code (+1 …) has no key: the
    keys are for mainland numbers, and a wrong match would merge two people.
    """
    text = _halfwidth(raw or "").strip()
    if not text:
        return ""
    first = _LABEL.sub("", _SEPARATORS.split(text, maxsplit=1)[0]).strip()
    key = _phone_key_one(_EXTENSION.sub("", first))
    if not key and _TRAILING_GROUP.search(first):
        key = _phone_key_one(_TRAILING_GROUP.sub("", first))
    return key


def _phone_key_one(text: str) -> str:
    text = text.strip()
    digits = _NOT_DIGIT.sub("", text)
    if len(digits) > 20 or _LETTER.search(text):
        return ""
    international = text.startswith(("+", "00", "＋"))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and (international or len(digits) > 11):
        digits = digits[2:]
    elif international:
        return ""
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    if not digits.startswith("0") and len(digits) != len(_NOT_DIGIT.sub("", text)) and _LANDLINE.fullmatch("0" + digits):
        return "0" + digits  # +86 21 1234 5678 drops the trunk 0
    return ""


def email_key(raw: str) -> str:
    """The address trimmed and lower-cased (full-width letters made half-width); empty when it is not an address."""
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
            rest = text[: -len(suffix)]
            # Keep at least two characters, and never leave half a suffix ("有限公司" alone stays itself).
            if text.endswith(suffix) and len(rest) >= 2 and rest not in _SUFFIX_FRAGMENTS:
                text = rest
                changed = True
                break
    return text[:200]
