"""DingTalk (钉钉) HTTP event subscription callbacks.

POST ?signature|msg_signature & timestamp|timeStamp & nonce, body {"encrypt": "..."} → verify the SHA-1 signature,
decrypt (receive id = the app key, or the corp id for an org callback), act on the event JSON, and answer with the
encrypted "success": {"msg_signature", "timeStamp", "nonce", "encrypt"}. The `check_url` event (saving the URL in the
developer console) gets the same answer and nothing else.

A message-like event (one with a sender and text: `senderStaffId`/`senderId`/`UserId` and `text.content`/`content`)
becomes a lead or attaches to the open lead of the same sender.
"""

from __future__ import annotations

import json
import time
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
SENDER_FIELDS = ("senderStaffId", "senderId", "SenderId", "UserId", "userId", "staffId")


def dingtalk_event_open(*, channel: CaptureChannel, signature: str, timestamp: str, nonce: str, body: bytes) -> dict[str, Any]:
    """The decrypted event of a callback whose signature checked out."""
    if len(body) > MAX_BODY:
        raise crypto.CallbackCryptoError("body too large")
    try:
        envelope = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise crypto.CallbackCryptoError("body is not JSON") from exc
    encrypted = envelope.get("encrypt", "") if isinstance(envelope, dict) else ""
    if not isinstance(encrypted, str) or not encrypted:
        raise crypto.CallbackCryptoError("no encrypt field")
    crypto.signature_check(token=channel.token, timestamp=timestamp, nonce=nonce, encrypt=encrypted, given=signature)
    plain = crypto.decrypt(encoding_aes_key=channel.encoding_aes_key, encrypted=encrypted, receive_id=channel.receive_id)
    try:
        event = json.loads(plain)
    except (ValueError, UnicodeDecodeError) as exc:
        raise crypto.CallbackCryptoError("event is not JSON") from exc
    if not isinstance(event, dict):
        raise crypto.CallbackCryptoError("event is not an object")
    return event


def dingtalk_success(*, channel: CaptureChannel, now: float | None = None) -> dict[str, str]:
    """The reply DingTalk expects: "success", encrypted and signed like its own messages (timestamp in ms)."""
    encrypted = crypto.encrypt(encoding_aes_key=channel.encoding_aes_key, message=b"success", receive_id=channel.receive_id)
    timestamp = str(int((time.time() if now is None else now) * 1000))
    nonce = crypto.nonce_new()
    return {
        "msg_signature": crypto.signature(token=channel.token, timestamp=timestamp, nonce=nonce, encrypt=encrypted),
        "timeStamp": timestamp,
        "nonce": nonce,
        "encrypt": encrypted,
    }


def _text_of(event: dict[str, Any]) -> str:
    text = event.get("text")
    if isinstance(text, dict):
        return str(text.get("content", "")).strip()
    return str(event.get("content") or event.get("Content") or "").strip()


def dingtalk_event_capture(*, channel: CaptureChannel, event: dict[str, Any], now: datetime, ip: str | None) -> CaptureResult | None:
    """A lead for a message-like event; None for check_url and every other event."""
    if event.get("EventType") == "check_url":
        return None
    sender = next((str(event[f]) for f in SENDER_FIELDS if event.get(f)), "")
    text = _text_of(event)
    if not sender or not text:
        return None
    retry_key = f"dingtalk:{channel.pk}:{event.get('msgId') or event.get('MsgId') or sender + ':' + str(event.get('TimeStamp') or event.get('createAt') or '')}"
    if already_received(key=retry_key[:200]):
        return None
    nick = str(event.get("senderNick") or "").strip()
    fields: dict[str, Any] = {"name": nick or _("钉钉客户 %(id)s") % {"id": sender[-6:]}, **contact_fields_from_text(text)}
    # The colleague the customer wrote to (an internal-app chat) owns the new lead when we know them.
    owner = None
    if staff := str(event.get("receiverStaffId") or ""):
        owner = User.objects.filter(dingtalk_userid=staff, is_active=True).first()
    return capture_lead(
        source=Lead.Source.DINGTALK, fields=fields, raw=event, now=now, channel=channel, ip=ip, sender_id=sender, message=text,
        owner=owner, idempotency_key=retry_key[:200],
    )
