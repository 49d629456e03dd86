"""From notify() to the outside world: the lead's planning, the after-commit task, the senders, the sweep's retries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils.translation import gettext_lazy

from tests.automation_channels.receivers import HttpReceiver, Reply, SmtpSink
from tests.factories.org import UserFactory
from xiaoguan.automation.delivery import deliveries_send_due
from xiaoguan.automation.models import BotWebhook, Delivery
from xiaoguan.automation.registry import NOTIFICATION_KINDS, NotificationKind
from xiaoguan.automation.services import notify
from xiaoguan.automation.sweep import sweep_run
from xiaoguan.automation.tasks import deliveries_send_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kind() -> Iterator[None]:
    NOTIFICATION_KINDS["test_new_lead"] = NotificationKind("test_new_lead", gettext_lazy("新线索分配"), ("email", "wecom_notice"))
    yield
    NOTIFICATION_KINDS.pop("test_new_lead", None)


def test_a_notification_reaches_mail_phone_and_group(
    smtp: SmtpSink, wecom_app: HttpReceiver, settings, clock, django_capture_on_commit_callbacks  # type: ignore[no-untyped-def]
):
    # given a task engine beside the database (RQ in production; here Django's immediate backend), a rep with an
    # e-mail and a WeCom account, and a group bot for this kind of notification
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.XIAOGUAN_BASE_URL = "https://crm.example.cn"
    now = clock.set("2025-03-07 10:00")
    rep = UserFactory(email="li@example.cn", wecom_userid="lisi")
    BotWebhook.objects.create(name="销售群", kind="wecom_bot", url=wecom_app.url("/cgi-bin/webhook/send?key=group"), kinds=["test_new_lead"])
    wecom_app.reply("/cgi-bin/gettoken", Reply(body={"errcode": 0, "errmsg": "ok", "access_token": "T", "expires_in": 7200}))
    # when the rep is notified (inside a transaction) and the after-commit task runs
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(recipient=rep, kind="test_new_lead", title="新线索：苏州某某", link="/leads/L-5/", dedupe_key="e2e-1", now=now)
    assert notification is not None and len(callbacks) == 1
    ids = list(Delivery.objects.filter(notification=notification).values_list("pk", flat=True))
    assert deliveries_send_task.call(delivery_ids=ids) == 3
    # then the mail, the work notice and the group message all went out, each once, and the log says sent
    assert [r for r, _m in smtp.messages] == [["li@example.cn"]]
    assert wecom_app.to("/cgi-bin/message/send")[0].json["touser"] == "lisi"
    group = wecom_app.to("/cgi-bin/webhook/send")[0]
    assert group.query == {"key": "group"}
    assert "[查看详情](https://crm.example.cn/leads/L-5/)" in group.json["markdown"]["content"]
    assert sorted(Delivery.objects.filter(notification=notification).values_list("channel", "status")) == [
        ("email", "sent"), ("wecom_bot", "sent"), ("wecom_notice", "sent"),
    ]


def test_with_the_database_queue_the_worker_sends_due_deliveries_in_one_batch(
    smtp: SmtpSink, clock, django_capture_on_commit_callbacks  # type: ignore[no-untyped-def]
):
    # given the embedded profile (the database queue) and three reps notified at once
    now = clock.set("2025-03-07 10:00")
    reps = [UserFactory(email=f"rep{i}@example.cn") for i in range(3)]
    # when they are notified: no task is queued (the Delivery rows are the queue)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for i, rep in enumerate(reps):
            notify(recipient=rep, kind="test_new_lead", title=f"新线索 {i}", dedupe_key=f"batch-{i}", now=now)
    assert callbacks == []
    # then the worker's pass sends them all, over one SMTP session, and marks each sent; a second pass finds nothing
    assert deliveries_send_due(now=now, limit=100) == 3
    assert sorted(to for to, _m in smtp.messages) == [["rep0@example.cn"], ["rep1@example.cn"], ["rep2@example.cn"]]
    assert smtp.sessions == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert deliveries_send_due(now=now, limit=100) == 0


def test_the_sweep_retries_a_group_that_was_down(receiver: HttpReceiver, clock, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    # given a group bot whose receiver answers 503 twice, then recovers
    now = clock.set("2025-03-07 10:00")
    receiver.reply("/hook", Reply(status=503, body={}), Reply(status=503, body={}))
    BotWebhook.objects.create(name="飞书群", kind="feishu_bot", url=receiver.url("/hook"), kinds=["test_new_lead"])
    rep = UserFactory(email="")
    with django_capture_on_commit_callbacks(execute=False):
        notify(recipient=rep, kind="test_new_lead", title="新线索", dedupe_key="e2e-2", now=now)
    [delivery] = Delivery.objects.all()
    # when the sweep runs now, at +30 s (retry 1), at +2 min 29 s (too early) and at +2 min 30 s (retry 2)
    sweep_run(now=now)
    sweep_run(now=now + timedelta(seconds=30))
    sweep_run(now=now + timedelta(seconds=30 + 119))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    sweep_run(now=now + timedelta(seconds=30 + 120))
    # then it was sent on the third attempt, and the receiver saw exactly three posts
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 3, now + timedelta(seconds=150))
    assert len(receiver.requests) == 3
