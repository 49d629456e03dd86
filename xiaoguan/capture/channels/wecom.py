"""WeCom (企业微信) callbacks: URL verification (GET) and encrypted messages/events (POST, XML).

GET  ?msg_signature&timestamp&nonce&echostr  → verify the signature over echostr, decrypt it, reply the plaintext.
POST ?msg_signature&timestamp&nonce, body <xml><ToUserName/><Encrypt/><AgentID/></xml> → verify the signature over
Encrypt, decrypt (receive id = corp id), act on the inner XML, reply "success" (an empty passive reply).

A customer's text message (MsgType text) and a new external contact (Event change_external_contact, ChangeType
add_external_contact / add_half_external_contact) become a lead, or attach to the open lead of the same sender.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from xiaoguan.capture import crypto
from xiaoguan.capture.channels.common import already_received, contact_fields_from_text
from xiaoguan.capture.models import CaptureChannel
from xiaoguan.capture.services import CaptureResult, capture_lead
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import User

MAX_BODY = 256 * 1024
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
CONTACT_ADDED = frozenset({"add_external_contact", "add_half_external_contact"})


@dataclass(frozen=True)
class Query:
    msg_signature: str
    timestamp: str
    nonce: str


def xml_fields(data: bytes) -> dict[str, str]:
    """The child elements of a flat WeCom XML document, as text. No DTDs, no entities."""
    if len(data) > MAX_BODY or _DTD.search(data):
        raise crypto.CallbackCryptoError("XML with a DTD or too large")
    try:
        root = ET.fromstring(data)  # noqa: S314 - DTDs refused above
    except ET.ParseError as exc:
        raise crypto.CallbackCryptoError("not XML") from exc
    return {child.tag: (child.text or "").strip() for child in root}


def wecom_verify_url(*, channel: CaptureChannel, query: Query, echostr: str) -> str:
    """The plaintext the platform expects back when the callback URL is saved in the WeCom admin."""
    crypto.signature_check(token=channel.token, timestamp=query.timestamp, nonce=query.nonce, encrypt=echostr, given=query.msg_signature)
    return crypto.decrypt(encoding_aes_key=channel.encoding_aes_key, encrypted=echostr, receive_id=channel.receive_id).decode()


def wecom_message_open(*, channel: CaptureChannel, query: Query, body: bytes) -> dict[str, str]:
    """The decrypted inner message of a POST, after the signature over its Encrypt field checked out."""
    outer = xml_fields(body)
    encrypted = outer.get("Encrypt", "")
    if not encrypted:
        raise crypto.CallbackCryptoError("no Encrypt element")
    crypto.signature_check(token=channel.token, timestamp=query.timestamp, nonce=query.nonce, encrypt=encrypted, given=query.msg_signature)
    inner = crypto.decrypt(encoding_aes_key=channel.encoding_aes_key, encrypted=encrypted, receive_id=channel.receive_id)
    return xml_fields(inner)


def _rep_by_wecom_userid(userid: str) -> User | None:
    if not userid:
        return None
    return User.objects.filter(wecom_userid=userid, is_active=True).first()


def wecom_message_capture(*, channel: CaptureChannel, message: dict[str, Any], now: datetime, ip: str | None) -> CaptureResult | None:
    """Act on a decrypted message: a lead for a customer's text or a new external contact; None for anything else."""
    msg_type = message.get("MsgType", "")
    owner = None
    if msg_type == "text":
        sender, text = message.get("FromUserName", ""), message.get("Content", "")
        retry_key = f"wecom:{channel.pk}:msg:{message.get('MsgId') or sender + ':' + message.get('CreateTime', '')}"
    elif msg_type == "event" and message.get("Event") == "change_external_contact" and message.get("ChangeType") in CONTACT_ADDED:
        sender, text = message.get("ExternalUserID", ""), ""
        retry_key = f"wecom:{channel.pk}:add:{sender}:{message.get('CreateTime', '')}"
        # The rep who added the customer is the natural owner of the new lead.
        owner = _rep_by_wecom_userid(message.get("UserID", ""))
    else:
        return None
    if not sender or already_received(key=retry_key):
        return None
    fields: dict[str, Any] = {"name": _("企业微信客户 %(id)s") % {"id": sender[-6:]}, **contact_fields_from_text(text)}
    return capture_lead(
        source=Lead.Source.WECOM, fields=fields, raw=message, now=now, channel=channel, ip=ip, sender_id=sender,
        message=text, owner=owner, idempotency_key=retry_key,
    )
