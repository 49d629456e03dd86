"""E-mail over SMTP through Django's mailers (settings.MAILERS): a Chinese subject, plain text and a simple HTML part."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.validators import validate_email
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from xiaoguan.automation.channels.base import DeliveryFailed, Message

SUBJECT_MAX_CHARS = 150


def email_subject(message: Message) -> str:
    # One line: a newline in a header is refused by Django (header injection).
    title = " ".join(message.title.split())
    return _("【销管】%(title)s") % {"title": title[:SUBJECT_MAX_CHARS]}


def email_text(message: Message) -> str:
    parts = [message.title]
    if message.body:
        parts.append(message.body)
    if message.link:
        parts.append(_("查看详情：%(link)s") % {"link": message.link})
    parts.append(_("—— 销管自动通知，请勿直接回复。"))
    return "\n\n".join(parts)


def email_html(message: Message) -> str:
    html = f"<h3>{escape(message.title)}</h3>"
    if message.body:
        html += linebreaks(message.body, autoescape=True)
    if message.link:
        html += f'<p><a href="{escape(message.link)}">{escape(_("查看详情"))}</a></p>'
    html += f'<p style="color:#888">{escape(_("—— 销管自动通知，请勿直接回复。"))}</p>'
    return f'<!doctype html><html><body style="font-family:sans-serif">{html}</body></html>'


# The open SMTP connection of a batch of deliveries (`email_session`); None outside one.
_session: ContextVar[list[Any] | None] = ContextVar("xiaoguan_mail_session", default=None)


@contextmanager
def email_session() -> Iterator[None]:
    """E-mails sent inside share one SMTP connection instead of a connect / EHLO / QUIT each (the worker's batches).

    If the server cannot be reached now, or a send breaks the connection, the rest go one connection each, and each
    failure is recorded on its own delivery."""
    mailer: Any = mailers.default
    try:
        mailer.open()
    except (smtplib.SMTPException, OSError):
        mailer = None
    holder = [mailer]
    token = _session.set(holder)
    try:
        yield
    finally:
        _session.reset(token)
        if holder[0] is not None:
            try:
                holder[0].close()
            except (smtplib.SMTPException, OSError):
                pass


def _send_one(mail: EmailMultiAlternatives) -> int:
    holder = _session.get()
    if holder is None or holder[0] is None:
        return mail.send()
    try:
        return int(holder[0].send_messages([mail]))
    except (smtplib.SMTPServerDisconnected, OSError):
        holder[0] = None  # the shared connection broke: this one and the rest on their own connections
        return mail.send()


def email_send(*, address: dict[str, Any], message: Message, now: datetime) -> str:
    to = str(address.get("to") or address.get("email") or "").strip()
    try:
        validate_email(to)
    except ValidationError:
        raise DeliveryFailed(_("邮箱地址无效：%(email)s") % {"email": to or "—"}, retryable=False) from None
    # Our own Message-ID, so the delivery log can name the mail the server accepted.
    message_id = make_msgid(idstring="xiaoguan", domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost")
    mail = EmailMultiAlternatives(
        email_subject(message), email_text(message), settings.DEFAULT_FROM_EMAIL, [to], headers={"Message-ID": message_id}
    )
    mail.attach_alternative(email_html(message), "text/html")
    try:
        sent = _send_one(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"SMTP 拒收：{exc.recipients}", retryable=False) from exc
    except smtplib.SMTPResponseException as exc:
        # 4xx replies are temporary by definition (RFC 5321), 5xx permanent.
        detail = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise DeliveryFailed(f"SMTP {exc.smtp_code}: {detail}", retryable=exc.smtp_code < 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP 连接失败：{exc}", retryable=True) from exc
    if not sent:
        raise DeliveryFailed(_("邮件未发出"), retryable=True)
    return f"smtp ok: {to} {message_id}"
