"""E-mail through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.automation_channels.receivers import SmtpSink, free_port
from xiaoguan.automation.channels import DeliveryFailed, Message, deliver

NOW = datetime(2025, 3, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_email_arrives_with_chinese_subject_text_and_html(smtp: SmtpSink):
    # when a notification is mailed
    message = Message(title="线索超时未联系：王先生 <VIP>", body="已分配 2 小时\n请尽快联系", link="https://crm.example.cn/leads/L-9/?a=1&b=2")
    summary = deliver(channel="email", address={"email": "rep@example.cn"}, message=message, now=NOW)
    # then the SMTP server received exactly one mail for the rep
    [(recipients, mail)] = smtp.messages
    assert recipients == ["rep@example.cn"]
    assert mail["To"] == "rep@example.cn"
    assert mail["From"] == "xiaoguan@example.cn"
    assert mail["Subject"] == "【销管】线索超时未联系：王先生 <VIP>"
    assert mail["Message-ID"] in summary
    # with a plain-text part and an HTML alternative, both in Chinese, the HTML escaped
    text = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert "已分配 2 小时\n请尽快联系" in text
    assert "查看详情：https://crm.example.cn/leads/L-9/?a=1&b=2" in text
    assert "<h3>线索超时未联系：王先生 &lt;VIP&gt;</h3>" in html
    assert 'href="https://crm.example.cn/leads/L-9/?a=1&amp;b=2"' in html
    assert "已分配 2 小时<br>请尽快联系" in html


def test_email_subject_stays_on_one_line(smtp: SmtpSink):
    deliver(channel="email", address={"email": "rep@example.cn"}, message=Message(title="第一行\n第二行"), now=NOW)
    assert smtp.messages[0][1]["Subject"] == "【销管】第一行 第二行"


def test_an_invalid_address_is_not_retried(smtp: SmtpSink):
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="email", address={"email": "not-an-address"}, message=Message(title="x"), now=NOW)
    assert failed.value.retryable is False
    assert smtp.messages == []


def test_smtp_server_down_is_retryable(settings):  # type: ignore[no-untyped-def]
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2}}
    }
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="email", address={"email": "rep@example.cn"}, message=Message(title="x"), now=NOW)
    assert failed.value.retryable is True
