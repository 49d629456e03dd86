"""Deliveries in the database: claimed, sent, retried with backoff when the receiver is down, failed but never lost."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import time
from datetime import datetime, timedelta

import pytest
from django.utils import translation

from tests.automation_channels.receivers import HttpReceiver, Reply, SmtpSink, free_port
from tests.factories.org import UserFactory
from xiaoguan.automation.delivery import (
    BACKOFF,
    MAX_ATTEMPTS,
    SENDING_LEASE,
    deliveries_due,
    delivery_attempt,
    delivery_retry,
    delivery_send_now,
)
from xiaoguan.automation.models import BotWebhook, Delivery, Notification

pytestmark = pytest.mark.django_db
_keys = itertools.count()


def _notification(now: datetime, *, title: str = "新线索：杭州某某有限公司", link: str = "/leads/L-42/") -> Notification:
    return Notification.objects.create(
        recipient=UserFactory(), kind="lead_assigned", title=title, body="来源：官网表单", link=link,
        created_at=now, dedupe_key=f"test:{next(_keys)}",
    )


def _delivery(now: datetime, *, channel: str, address: dict, notification: Notification | None = None) -> Delivery:
    return Delivery.objects.create(
        notification=notification or _notification(now), channel=channel, address=address, created_at=now, next_attempt_at=now
    )


def _sweep(now: datetime) -> None:
    for delivery in deliveries_due(now=now, limit=100):
        delivery_attempt(delivery=delivery, now=now)


def test_a_receiver_that_is_down_is_retried_with_backoff_then_marked_failed(clock):  # type: ignore[no-untyped-def]
    # given a group bot whose receiver is down (nothing listens on its port)
    start = clock.at("2025-03-07 10:00")
    bot = BotWebhook.objects.create(name="华东销售群", kind="wecom_bot", url=f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key=k")
    delivery = _delivery(start, channel="wecom_bot", address={"bot_id": bot.pk})
    # when the sweep runs at each moment the schedule names (and just before each)
    expected_waits = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6)]
    assert list(BACKOFF) == expected_waits
    now = start
    _sweep(now)
    for attempt, wait in enumerate(expected_waits, start=1):
        delivery.refresh_from_db()
        # then after each failed attempt it waits its step, pending, with the error kept
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", attempt, now + wait)
        assert "连接失败" in delivery.last_error
        _sweep(now + wait - timedelta(seconds=1))  # not yet due: nothing happens
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        now += wait
        _sweep(now)
    # and after the sixth attempt it is failed, kept in the log, due never again
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at, delivery.sent_at) == ("failed", MAX_ATTEMPTS, None, None)
    assert MAX_ATTEMPTS == 6
    assert "连接失败" in delivery.last_error
    assert list(deliveries_due(now=now + timedelta(days=30), limit=10)) == []
    assert Delivery.objects.filter(pk=delivery.pk).exists()


def test_a_500_then_an_ok_is_sent_on_the_retry(receiver: HttpReceiver, clock):  # type: ignore[no-untyped-def]
    # given a DingTalk bot (signed) whose receiver fails once with 500
    now = clock.at("2025-03-07 10:00")
    bot = BotWebhook.objects.create(name="钉钉群", kind="dingtalk_bot", url=receiver.url("/robot/send?access_token=t"), secret="SECabc")
    receiver.reply("/robot/send", Reply(status=500, body={"error": "upstream"}))
    delivery = _delivery(now, channel="dingtalk_bot", address={"bot_id": bot.pk})
    # when it is attempted, and again when its retry is due
    delivery_attempt(delivery=delivery, now=now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 1, now + timedelta(seconds=30))
    assert "HTTP 500" in delivery.last_error
    later = now + timedelta(seconds=30)
    _sweep(later)
    # then it is sent, stamped, the error cleared and the platform's answer kept
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at, delivery.next_attempt_at, delivery.last_error) == ("sent", 2, later, None, "")
    assert '"errcode": 0' in delivery.response
    # and the second request carried its own valid signature (a replayed 2025 clock signs with the wall clock)
    second = receiver.to("/robot/send")[1]
    assert abs(int(second.query["timestamp"]) / 1000 - time.time()) < 5
    expected = base64.b64encode(hmac.new(b"SECabc", f"{second.query['timestamp']}\nSECabc".encode(), hashlib.sha256).digest()).decode()
    assert second.query["sign"] == expected
    # and the link reached the group as an absolute URL on the configured site
    assert second.json["actionCard"]["singleURL"].endswith("/leads/L-42/")
    assert second.json["actionCard"]["singleURL"].startswith("http")


def test_a_rejected_message_fails_at_once_without_retries(receiver: HttpReceiver, clock):  # type: ignore[no-untyped-def]
    now = clock.at("2025-03-07 10:00")
    receiver.default("/hook", Reply(body={"errcode": 93000, "errmsg": "invalid webhook url"}))
    delivery = _delivery(now, channel="wecom_bot", address={"url": receiver.url("/hook")})
    delivery_attempt(delivery=delivery, now=now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 1, None)
    assert "93000" in delivery.last_error


def test_a_disabled_bot_is_not_sent_to(receiver: HttpReceiver, clock):  # type: ignore[no-untyped-def]
    now = clock.at("2025-03-07 10:00")
    bot = BotWebhook.objects.create(name="停用的群", kind="feishu_bot", url=receiver.url("/hook"), enabled=False)
    delivery = _delivery(now, channel="feishu_bot", address={"bot_id": bot.pk})
    delivery_attempt(delivery=delivery, now=now)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.last_error == "群机器人已停用"
    assert receiver.requests == []


def test_a_claimed_delivery_is_not_sent_twice_and_a_crashed_claim_runs_out(receiver: HttpReceiver, clock):  # type: ignore[no-untyped-def]
    # given one delivery loaded by two senders (the after-commit task and the sweep)
    now = clock.at("2025-03-07 10:00")
    delivery = _delivery(now, channel="wecom_bot", address={"url": receiver.url("/hook")})
    first, second = Delivery.objects.get(pk=delivery.pk), Delivery.objects.select_related("notification").get(pk=delivery.pk)
    # when both attempt it
    delivery_attempt(delivery=first, now=now)
    delivery_attempt(delivery=second, now=now)
    # then the group got one message
    assert len(receiver.requests) == 1
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1

    # given a delivery whose sender died after claiming it (status sending, lease set)
    crashed = _delivery(now, channel="wecom_bot", address={"url": receiver.url("/hook")})
    Delivery.objects.filter(pk=crashed.pk).update(status="sending", attempts=1, next_attempt_at=now + SENDING_LEASE)
    # then it is not due while the lease runs, and is picked up again when it has run out
    assert crashed.pk not in [d.pk for d in deliveries_due(now=now + SENDING_LEASE - timedelta(seconds=1), limit=10)]
    _sweep(now + SENDING_LEASE)
    crashed.refresh_from_db()
    assert (crashed.status, crashed.attempts) == ("sent", 2)


def test_send_now_mails_and_notifies_the_person(smtp: SmtpSink, wecom_app: HttpReceiver, settings, clock):  # type: ignore[no-untyped-def]
    # given a notification with an e-mail and a WeCom work-notice delivery
    settings.XIAOGUAN_BASE_URL = "https://crm.example.cn"
    now = clock.at("2025-03-07 10:00")
    notification = _notification(now, title="你有一条新线索")
    mail = _delivery(now, channel="email", address={"to": "rep@example.cn"}, notification=notification)
    notice = _delivery(now, channel="wecom_notice", address={"userid": "zhangsan"}, notification=notification)
    wecom_app.reply("/cgi-bin/gettoken", Reply(body={"errcode": 0, "errmsg": "ok", "access_token": "T", "expires_in": 7200}))
    # when the after-commit task sends them
    sent = delivery_send_now(delivery_ids=[mail.pk, notice.pk], now=now)
    # then both arrived and both are logged as sent
    assert sent == 2
    [(recipients, message)] = smtp.messages
    assert recipients == ["rep@example.cn"]
    assert message["Subject"] == "【销管】你有一条新线索"
    assert "https://crm.example.cn/leads/L-42/" in message.get_body(preferencelist=("plain",)).get_content()
    [send] = wecom_app.to("/cgi-bin/message/send")
    assert send.json["touser"] == "zhangsan"
    assert send.json["textcard"]["url"] == "https://crm.example.cn/leads/L-42/"
    assert set(Delivery.objects.filter(pk__in=[mail.pk, notice.pk]).values_list("status", flat=True)) == {"sent"}
    # and a second run (a retried task) sends nothing again
    assert delivery_send_now(delivery_ids=[mail.pk, notice.pk], now=now) == 0
    assert len(smtp.messages) == 1


def test_an_admin_retry_gives_a_failed_delivery_one_more_attempt(receiver: HttpReceiver, clock, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    now = clock.at("2025-03-07 10:00")
    receiver.reply("/hook", Reply(status=404, body={}))
    delivery = _delivery(now, channel="feishu_bot", address={"url": receiver.url("/hook")})
    delivery_attempt(delivery=delivery, now=now)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    later = now + timedelta(hours=2)
    with django_capture_on_commit_callbacks() as callbacks:
        delivery_retry(delivery=delivery, now=later)
    assert (delivery.status, delivery.next_attempt_at) == ("pending", later)
    assert len(callbacks) == 1  # the send is queued after commit
    _sweep(later)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 2, later)


def test_due_deliveries_are_the_pending_ones_whose_time_has_come(clock):  # type: ignore[no-untyped-def]
    now = clock.at("2025-03-07 10:00")
    notification = _notification(now)
    due_early = _delivery(now - timedelta(minutes=5), channel="email", address={"to": "a@example.cn"}, notification=notification)
    due_now = _delivery(now, channel="email", address={"to": "b@example.cn"}, notification=notification)
    _delivery(now + timedelta(seconds=1), channel="email", address={"to": "c@example.cn"}, notification=notification)
    done = _delivery(now - timedelta(hours=1), channel="email", address={"to": "d@example.cn"}, notification=notification)
    Delivery.objects.filter(pk=done.pk).update(status="sent", next_attempt_at=None, sent_at=now)
    failed = _delivery(now - timedelta(hours=1), channel="email", address={"to": "e@example.cn"}, notification=notification)
    Delivery.objects.filter(pk=failed.pk).update(status="failed", next_attempt_at=now - timedelta(hours=1))
    assert [d.pk for d in deliveries_due(now=now, limit=10)] == [due_early.pk, due_now.pk]
    assert [d.pk for d in deliveries_due(now=now, limit=1)] == [due_early.pk]


def test_mail_is_worded_in_the_organisation_language_whatever_the_thread_served_last(smtp: SmtpSink, clock):  # type: ignore[no-untyped-def]
    now = clock.at("2025-03-07 10:00")
    delivery = _delivery(now, channel="email", address={"to": "rep@example.cn"})
    with translation.override("en"):
        delivery_attempt(delivery=delivery, now=now)
    [(_to, mail)] = smtp.messages
    assert mail["Subject"].startswith("【销管】")
    assert "查看详情：" in mail.get_body(preferencelist=("plain",)).get_content()
