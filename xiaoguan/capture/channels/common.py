"""What the callback channels share: contact details found in a chat message, the retry guard."""

from __future__ import annotations

import re

from xiaoguan.capture.models import LeadCapture

_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4})(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_NAME_IN_TEXT = re.compile(r"(?:我是|我叫|姓名[:：]?\s*)([\u4e00-\u9fa5]{2,4}?)(?=[，,。.;；\s!！]|$)")
# Only after a cue ("我们是…", "来自…", "公司：…"): a bare match would take the start of the sentence with it.
_COMPANY_IN_TEXT = re.compile(r"(?:我们是|我司是?|来自|公司[:：]|单位[:：])\s*([\u4e00-\u9fa5A-Za-z0-9()（）]{2,40}?(?:有限公司|集团|公司))")


def contact_fields_from_text(text: str) -> dict[str, str]:
    """A customer's message often carries a phone number, an e-mail, a name or a company: take them for dedupe."""
    fields: dict[str, str] = {}
    if match := _MOBILE_IN_TEXT.search(text):
        fields["phone"] = re.sub(r"[\s-]", "", match.group(1))
    if match := _EMAIL_IN_TEXT.search(text):
        fields["email"] = match.group(0)
    if match := _NAME_IN_TEXT.search(text):
        fields["name"] = match.group(1)
    if match := _COMPANY_IN_TEXT.search(text):
        fields["company"] = match.group(1)
    return fields


def already_received(*, key: str) -> bool:
    """The platforms retry a callback they got no answer to in time; the same message is taken once."""
    return LeadCapture.objects.filter(user__isnull=True, idempotency_key=key).exists()
