"""通知设置 pages: group bots and the delivery log for admins only; preferences for everyone."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import time
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy

from tests.automation_channels.receivers import HttpReceiver, Reply, free_port
from tests.factories.org import UserFactory
from xiaoguan.automation.models import BotWebhook, Delivery, Notification, NotificationPreference
from xiaoguan.automation.registry import NOTIFICATION_KINDS, NotificationKind
from xiaoguan.org.models import Role

pytestmark = pytest.mark.django_db
_keys = itertools.count()


@pytest.fixture(autouse=True)
def kinds() -> Iterator[None]:
    saved = dict(NOTIFICATION_KINDS)
    NOTIFICATION_KINDS.clear()
    NOTIFICATION_KINDS["lead_assigned"] = NotificationKind("lead_assigned", gettext_lazy("新线索分配"), ("wecom_notice",))
    NOTIFICATION_KINDS["lead_escalated"] = NotificationKind("lead_escalated", gettext_lazy("线索超时升级"), ("email",))
    yield
    NOTIFICATION_KINDS.clear()
    NOTIFICATION_KINDS.update(saved)


@pytest.fixture
def admin():  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.ADMIN)


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "web:notify_bots", []),
        ("get", "web:notify_bot_new", []),
        ("post", "web:notify_bot_new", []),
        ("get", "web:notify_bot_edit", ["BOT"]),
        ("post", "web:notify_bot_toggle", ["BOT"]),
        ("post", "web:notify_bot_test", ["BOT"]),
        ("get", "web:notify_deliveries", []),
        ("post", "web:notify_delivery_retry", ["DELIVERY"]),
    ],
)
@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.DIRECTOR])
def test_admin_pages_refuse_everyone_else(login, clock, method, name, args, role):  # type: ignore[no-untyped-def]
    now = clock.at("2025-03-07 10:00")
    bot = BotWebhook.objects.create(name="群", kind="wecom_bot", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    notification = Notification.objects.create(recipient=UserFactory(), kind="lead_assigned", title="t", created_at=now, dedupe_key=f"p{next(_keys)}")
    delivery = Delivery.objects.create(notification=notification, channel="email", address={"to": "a@example.cn"}, status="failed", created_at=now)
    ids = {"BOT": bot.pk, "DELIVERY": delivery.pk}
    url = reverse(name, args=[ids[a] for a in args])
    response = getattr(login(UserFactory(role=role)), method)(url, {"name": "x", "kind": "wecom_bot", "url": "https://evil.example/"} if method == "post" else None)
    assert response.status_code == 403
    assert BotWebhook.objects.count() == 1 and BotWebhook.objects.get().enabled
    assert Delivery.objects.get().status == "failed"


def test_anonymous_visitors_are_sent_to_login(client):  # type: ignore[no-untyped-def]
    for name in ("web:notify_bots", "web:notify_deliveries", "web:notify_preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("web:login") in response["Location"]


def test_admin_adds_a_signed_dingtalk_bot_and_the_secret_is_never_shown_back(login, admin):  # type: ignore[no-untyped-def]
    c = login(admin)
    response = c.post(reverse("web:notify_bot_new"), {
        "name": "华东销售群", "kind": "dingtalk_bot", "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "secret": "SECtopsecret", "kinds": ["lead_assigned", "lead_escalated"], "enabled": "on",
    })
    assert response.status_code == 302
    bot = BotWebhook.objects.get()
    assert (bot.name, bot.kind, bot.secret, bot.kinds, bot.enabled, bot.team) == (
        "华东销售群", "dingtalk_bot", "SECtopsecret", ["lead_assigned", "lead_escalated"], True, None
    )
    listing = c.get(reverse("web:notify_bots")).content.decode()
    assert "华东销售群" in listing and "新线索分配" in listing and "已加签" in listing
    edit_page = c.get(reverse("web:notify_bot_edit", args=[bot.pk])).content.decode()
    assert "SECtopsecret" not in edit_page
    # when the admin renames it without typing the secret again
    c.post(reverse("web:notify_bot_edit", args=[bot.pk]), {
        "name": "华东大区群", "kind": "dingtalk_bot", "url": bot.url, "secret": "", "kinds": ["lead_assigned"], "enabled": "on",
    })
    bot.refresh_from_db()
    assert (bot.name, bot.secret, bot.kinds) == ("华东大区群", "SECtopsecret", ["lead_assigned"])


def test_a_bad_webhook_form_is_refused_with_422(login, admin):  # type: ignore[no-untyped-def]
    response = login(admin).post(reverse("web:notify_bot_new"), {"name": "", "kind": "wecom_bot", "url": "not a url", "secret": "x"})
    assert response.status_code == 422
    assert BotWebhook.objects.count() == 0
    assert "企业微信群机器人没有签名密钥" in response.content.decode()


def test_admin_disables_and_enables_a_bot(login, admin):  # type: ignore[no-untyped-def]
    bot = BotWebhook.objects.create(name="群", kind="feishu_bot", url="https://open.feishu.cn/open-apis/bot/v2/hook/x")
    c = login(admin)
    c.post(reverse("web:notify_bot_toggle", args=[bot.pk]))
    bot.refresh_from_db()
    assert bot.enabled is False
    c.post(reverse("web:notify_bot_toggle", args=[bot.pk]))
    bot.refresh_from_db()
    assert bot.enabled is True


def test_send_test_message_reaches_the_group_signed(login, admin, receiver: HttpReceiver, clock):  # type: ignore[no-untyped-def]
    # given a Feishu bot with a secret, pointed at a local receiver
    clock.set("2025-03-07 10:00:00")
    receiver.default("/open-apis/bot/v2/hook/h", Reply(body={"code": 0, "msg": "success", "data": {}}))
    bot = BotWebhook.objects.create(name="飞书群", kind="feishu_bot", url=receiver.url("/open-apis/bot/v2/hook/h"), secret="fs-secret")
    # when the admin presses 发送测试消息
    response = login(admin).post(reverse("web:notify_bot_test", args=[bot.pk]), follow=True)
    # then the group got a signed post naming the bot, and the page says so
    [request] = receiver.requests
    body = request.json
    assert abs(int(body["timestamp"]) - time.time()) < 5  # signed with the wall clock: the platform checks freshness
    assert body["sign"] == base64.b64encode(hmac.new(f"{body['timestamp']}\nfs-secret".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["content"]["post"]["zh_cn"]["title"] == "销管测试消息"
    assert "飞书群" in body["content"]["post"]["zh_cn"]["content"][0][0]["text"]
    assert "测试消息已发到「飞书群」" in response.content.decode()


def test_a_failing_test_message_shows_the_reason(login, admin):  # type: ignore[no-untyped-def]
    bot = BotWebhook.objects.create(name="坏群", kind="wecom_bot", url=f"http://127.0.0.1:{free_port()}/hook")
    response = login(admin).post(reverse("web:notify_bot_test", args=[bot.pk]), follow=True)
    page = response.content.decode()
    assert "「坏群」测试消息发送失败" in page and "连接失败" in page


def test_a_person_chooses_channels_per_kind(login, settings):  # type: ignore[no-untyped-def]
    settings.XIAOGUAN_WECOM_CORP_ID = "ww1"
    rep = UserFactory(role=Role.REP, wecom_userid="zhangsan")
    c = login(rep)
    page = c.get(reverse("web:notify_preferences")).content.decode()
    assert "新线索分配" in page and "线索超时升级" in page
    # defaults are shown checked: lead_assigned → work notice, lead_escalated → e-mail
    assert 'name="kind-lead_assigned" value="wecom_notice" checked' in page
    assert 'name="kind-lead_escalated" value="email" checked' in page
    assert 'name="kind-lead_assigned" value="dingtalk_notice" disabled' in page  # no DingTalk account
    # when the rep turns the work notice off for assignments and adds it for escalations (a forged channel is ignored)
    response = c.post(reverse("web:notify_preferences"), {"kind-lead_escalated": ["email", "wecom_notice", "sms"]})
    assert response.status_code == 302
    stored = dict(NotificationPreference.objects.filter(user=rep).values_list("kind", "channels"))
    assert stored == {"lead_assigned": [], "lead_escalated": ["email", "wecom_notice"]}
    page = c.get(reverse("web:notify_preferences")).content.decode()
    assert 'name="kind-lead_assigned" value="wecom_notice" checked' not in page


def test_delivery_log_filters_and_retries_a_failed_delivery(login, admin, clock, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    now = clock.set("2025-03-07 10:00")
    rep = UserFactory(name="王小明")
    notification = Notification.objects.create(recipient=rep, kind="lead_assigned", title="新线索：宁波某某", created_at=now, dedupe_key="log-1")
    bot = BotWebhook.objects.create(name="宁波群", kind="wecom_bot", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    failed = Delivery.objects.create(
        notification=notification, channel="wecom_bot", address={"bot_id": bot.pk}, status="failed", attempts=6, last_error="连接失败：refused", created_at=now
    )
    Delivery.objects.create(notification=notification, channel="email", address={"to": "wang@example.cn"}, status="sent", attempts=1, created_at=now, sent_at=now)
    c = login(admin)
    everything = c.get(reverse("web:notify_deliveries")).content.decode()
    assert "宁波群" in everything and "wang@example.cn" in everything and "王小明" in everything
    only_failed = c.get(reverse("web:notify_deliveries"), {"status": "failed"}).content.decode()
    assert "宁波群" in only_failed and "wang@example.cn" not in only_failed and "连接失败：refused" in only_failed
    only_email = c.get(reverse("web:notify_deliveries"), {"channel": "email"}).content.decode()
    assert "wang@example.cn" in only_email and "宁波群" not in only_email
    # when the admin presses 重试 on the failed one
    with django_capture_on_commit_callbacks() as callbacks:
        response = c.post(reverse("web:notify_delivery_retry", args=[failed.pk]), {"next": "/notify/deliveries/?status=failed"})
    assert response.status_code == 302 and response["Location"] == "/notify/deliveries/?status=failed"
    failed.refresh_from_db()
    assert (failed.status, failed.next_attempt_at) == ("pending", now)
    assert len(callbacks) == 1


def test_retry_refuses_an_offsite_next_url(login, admin, clock):  # type: ignore[no-untyped-def]
    now = clock.set("2025-03-07 10:00")
    notification = Notification.objects.create(recipient=UserFactory(), kind="k", title="t", created_at=now, dedupe_key="log-2")
    failed = Delivery.objects.create(notification=notification, channel="email", address={"to": "a@example.cn"}, status="failed", created_at=now)
    response = login(admin).post(reverse("web:notify_delivery_retry", args=[failed.pk]), {"next": "//evil.example/"})
    assert response["Location"] == reverse("web:notify_deliveries")


def test_the_pages_speak_english_when_asked(login, admin):  # type: ignore[no-untyped-def]
    c = login(admin)
    deliveries = c.get(reverse("web:notify_deliveries"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    bots = c.get(reverse("web:notify_bots"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Delivery log" in deliveries and "No deliveries match." in deliveries
    assert "Add group bot" in bots and "投递记录" not in bots
