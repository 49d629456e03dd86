"""Follow-ups (跟进记录) and tasks (待办)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel


class Activity(ExternalIdModel):
    """What a rep did. `occurred_at` is claimed; `recorded_at` is when it was typed — the gap is evidence."""

    EXTERNAL_PREFIX = "ACT"

    class Kind(models.TextChoices):
        CALL = "call", _("电话")
        VISIT = "visit", _("拜访")
        WECOM_MESSAGE = "wecom_message", _("企微消息")
        EMAIL = "email", _("邮件")
        MEETING = "meeting", _("会议")
        DEMO = "demo", _("演示")
        DOCUMENT_SENT = "document_sent", _("发送资料")
        CHECK_IN = "check_in", _("签到")
        NOTE = "note", _("备注")

    # db_index=False: each of these leads a composite (…, -occurred_at) index below; single ones cost 20 s per 1M-row load.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities", verbose_name=_("跟进人"), db_index=False)
    account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="activities", verbose_name=_("客户"), db_index=False)
    opportunity = models.ForeignKey(
        "opportunities.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="activities", verbose_name=_("商机"), db_index=False
    )
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="activities", verbose_name=_("线索"), db_index=False)
    kind = models.CharField(_("方式"), max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("发生时间"))
    recorded_at = models.DateTimeField(_("录入时间"))
    duration_seconds = models.PositiveIntegerField(_("时长(秒)"), null=True, blank=True)
    content = models.TextField(_("内容"), blank=True)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        indexes = [
            models.Index(fields=["account", "-occurred_at"]),
            models.Index(fields=["owner", "-occurred_at"]),
            models.Index(fields=["opportunity", "-occurred_at"]),
            models.Index(fields=["lead", "-occurred_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(account__isnull=False) | models.Q(opportunity__isnull=False) | models.Q(lead__isnull=False),
                name="activity_concerns_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


class Task(ExternalIdModel):
    """A to-do (待办) with an owner and a due time. `source` says which rule or person created it."""

    EXTERNAL_PREFIX = "K"

    class Source(models.TextChoices):
        MANUAL = "manual", _("手动")
        FOLLOW_UP = "follow_up", _("跟进计划")
        LEAD = "lead", _("线索")
        SYSTEM = "system", _("系统规则")
        MEETING = "meeting", _("例会决议")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("负责人"), db_index=False)
    title = models.CharField(_("事项"), max_length=200)
    due_at = models.DateTimeField(_("截止时间"))
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(_("创建时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("客户"))
    opportunity = models.ForeignKey("opportunities.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("商机"))
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("线索"))

    class Meta:
        verbose_name = _("待办")
        verbose_name_plural = _("待办")
        indexes = [models.Index(fields=["owner", "done_at", "due_at"])]

    def __str__(self) -> str:
        return self.title


class MeetingDecision(models.Model):
    """A decision of a manager's weekly meeting (周例会) and the to-do it became: who does what, by when, delivering what.

    `week` is the Monday of the weekly brief it was taken in; the brief lists its decisions with their tasks' state.
    """

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="decision", verbose_name=_("待办"))
    week = models.DateField(_("周（周一）"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("决议人"))
    text = models.CharField(_("决议"), max_length=200)
    deliverable = models.CharField(_("交付物"), max_length=200)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("例会决议")
        verbose_name_plural = _("例会决议")
        indexes = [models.Index(fields=["decided_by", "week"])]

    def __str__(self) -> str:
        return self.text
