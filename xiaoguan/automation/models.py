"""Timers, periodic jobs, notifications and their deliveries: the background runtime's state, all as rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Timer(models.Model):
    """A deadline on one record. The sweep acts when `due_at` passes, then re-arms it (next step) or stops it.

    One row per (kind, subject): re-arming moves the same row, so a subject never has two clocks of a kind.
    `due_at IS NULL` means stopped; the partial index holds only running timers, so a sweep reads what is due,
    not what exists.
    """

    kind = models.CharField(_("类型"), max_length=32)
    subject_kind = models.CharField(_("对象类型"), max_length=24)
    subject_id = models.BigIntegerField(_("对象"))
    step = models.PositiveSmallIntegerField(_("步骤"), default=0)
    due_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    armed_at = models.DateTimeField(_("设定时间"))
    fired_at = models.DateTimeField(_("上次触发"), null=True, blank=True)
    # How many times a sweep acted on this clock: the proof that two workers never handle one step twice.
    fired_count = models.PositiveIntegerField(_("触发次数"), default=0)
    payload = models.JSONField(_("参数"), default=dict, blank=True)

    class Meta:
        verbose_name = _("定时器")
        verbose_name_plural = _("定时器")
        constraints = [models.UniqueConstraint(fields=["kind", "subject_kind", "subject_id"], name="timer_one_per_subject")]
        indexes = [models.Index(fields=["due_at"], name="timer_running_due", condition=models.Q(due_at__isnull=False))]

    def __str__(self) -> str:
        return f"{self.kind}:{self.subject_kind}:{self.subject_id}@{self.step}"


class PeriodicJob(models.Model):
    """A job that runs on a schedule (daily digest, weekly snapshot, monthly report); the sweep runs it when due."""

    code = models.CharField(_("代码"), max_length=64, unique=True)
    schedule = models.CharField(_("时间表"), max_length=64, help_text=_("every 30m · daily 08:30 · weekly mon 08:00 · monthly 1 08:00"))
    enabled = models.BooleanField(_("启用"), default=True)
    next_run_at = models.DateTimeField(_("下次运行"))
    last_run_at = models.DateTimeField(_("上次运行"), null=True, blank=True)
    last_result = models.CharField(_("上次结果"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("周期任务")
        verbose_name_plural = _("周期任务")

    def __str__(self) -> str:
        return self.code


class Notification(models.Model):
    """What a person is told, in the app (the bell). Deliveries carry it to e-mail, phones and group chats."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人"), db_index=False)
    kind = models.CharField(_("类型"), max_length=32)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    subject_kind = models.CharField(_("对象类型"), max_length=24, blank=True)
    subject_id = models.BigIntegerField(_("对象"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # The same event never notifies twice: a re-run sweep or a retried request hits the unique key.
    dedupe_key = models.CharField(max_length=160, unique=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient"], name="notification_unread", condition=models.Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One notification on one outside channel: attempted, retried with backoff, and kept whatever happens."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        WECOM_NOTICE = "wecom_notice", _("企业微信工作通知")
        DINGTALK_NOTICE = "dingtalk_notice", _("钉钉工作通知")
        WECOM_BOT = "wecom_bot", _("企业微信群机器人")
        DINGTALK_BOT = "dingtalk_bot", _("钉钉群机器人")
        FEISHU_BOT = "feishu_bot", _("飞书群机器人")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("失败")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("通知"))
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    address = models.JSONField(_("地址"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.TextField(_("错误"), blank=True)
    response = models.TextField(_("响应"), blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投递")
        verbose_name_plural = _("投递")
        indexes = [
            models.Index(fields=["next_attempt_at"], name="delivery_due", condition=models.Q(next_attempt_at__isnull=False)),
            models.Index(fields=["status", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id}"


class BotWebhook(models.Model):
    """A group chat's bot (WeCom, DingTalk, Feishu) that receives a team's notifications of chosen kinds."""

    class Kind(models.TextChoices):
        WECOM = "wecom_bot", _("企业微信群机器人")
        DINGTALK = "dingtalk_bot", _("钉钉群机器人")
        FEISHU = "feishu_bot", _("飞书群机器人")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    url = models.URLField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=200, blank=True)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("团队"))
    kinds = models.JSONField(_("通知类型"), default=list, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self) -> str:
        return self.name


class NotificationPreference(models.Model):
    """Which outside channels a person wants for one kind of notification (the bell always has it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(_("类型"), max_length=32)
    channels = models.JSONField(_("渠道"), default=list, blank=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}"
