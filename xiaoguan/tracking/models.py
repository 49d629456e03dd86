"""Tracked links (追踪链接): one per recipient, the way a quote, a proposal, a contract or a booking page goes out.

What the recipient does with a link is written as engagement.TouchEvent rows (the one record of touch behaviour);
hits that are not counted (link previewers, mail scanners, HEAD probes, replays inside the window) are kept here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel


class TrackedLink(ExternalIdModel):
    EXTERNAL_PREFIX = "TL"

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("资料（报价单/方案/合同）")
        URL = "url", _("网页链接")
        BOOKING = "booking", _("会议预约")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("名称"), max_length=200)
    url = models.URLField(_("目标网址"), max_length=500, blank=True)
    # The file served (documents.Document: type-checked, safely named). A deleted document leaves a dead link (404).
    document = models.ForeignKey("documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="tracked_links", verbose_name=_("资料"))
    account = models.ForeignKey("customers.Account", on_delete=models.CASCADE, related_name="tracked_links", verbose_name=_("客户"))
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="tracked_links", verbose_name=_("联系人"))
    opportunity = models.ForeignKey(
        "opportunities.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="tracked_links", verbose_name=_("商机")
    )
    recipient = models.CharField(_("收件人"), max_length=100, blank=True, help_text=_("没有联系人记录时写收件人姓名或邮箱"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发送人"))
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    # Booking links: the times offered (ISO strings) and how long the meeting is.
    slots = models.JSONField(_("可选时间"), default=list, blank=True)
    meeting_minutes = models.PositiveSmallIntegerField(_("会议时长(分钟)"), default=30)

    class Meta:
        verbose_name = _("追踪链接")
        verbose_name_plural = _("追踪链接")
        indexes = [models.Index(fields=["opportunity", "-created_at"]), models.Index(fields=["account", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(kind="url") | ~models.Q(url=""), name="tracked_link_url_has_target"),
        ]

    def __str__(self) -> str:
        return self.label


class TrackingHit(models.Model):
    """A hit that did not count as the recipient's behaviour, and why: kept for audit and to tune the detection."""

    class Flag(models.TextChoices):
        BOT = "bot", _("机器人/预览抓取")
        SCANNER = "scanner", _("邮件安全扫描")
        HEAD = "head", _("HEAD 探测")
        TOO_SOON = "too_soon", _("发送后数秒内访问")
        REPLAY = "replay", _("窗口内重复访问")

    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="hits", verbose_name=_("链接"), db_index=False)
    at = models.DateTimeField(_("时间"))
    route = models.CharField(_("访问"), max_length=10)
    flag = models.CharField(_("原因"), max_length=10, choices=Flag.choices)
    detail = models.CharField(_("说明"), max_length=100, blank=True)
    user_agent = models.CharField(_("User-Agent"), max_length=300, blank=True)
    ip = models.CharField(_("IP"), max_length=45, blank=True)

    class Meta:
        verbose_name = _("未计入的访问")
        verbose_name_plural = _("未计入的访问")
        indexes = [models.Index(fields=["link", "-at"])]

    def __str__(self) -> str:
        return f"{self.link_id} {self.flag} @ {self.at:%Y-%m-%d %H:%M:%S}"
