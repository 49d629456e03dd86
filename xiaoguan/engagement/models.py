"""Touch events (触点行为): what a customer did with a tracked link or document."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel


class TouchEvent(ExternalIdModel):
    EXTERNAL_PREFIX = "E"

    class Kind(models.TextChoices):
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        OPENED = "opened", _("已打开")
        CLICKED = "clicked", _("已点击")
        DOWNLOADED = "downloaded", _("已下载")
        MEETING_BOOKED = "meeting_booked", _("已预约会议")

    tracked_item_key = models.CharField(_("追踪项"), max_length=64, db_index=True)
    document = models.CharField(_("资料"), max_length=200, blank=True)
    account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="touch_events", verbose_name=_("客户"))
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="touch_events", verbose_name=_("联系人"))
    opportunity = models.ForeignKey("opportunities.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="touch_events", verbose_name=_("商机"))
    kind = models.CharField(_("行为"), max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("发生时间"))

    class Meta:
        verbose_name = _("触点行为")
        verbose_name_plural = _("触点行为")
        indexes = [models.Index(fields=["account", "-occurred_at"]), models.Index(fields=["opportunity", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.document} {self.get_kind_display()}"


class EngagementPolicy(models.Model):
    """The engagement score's weights, decay and the silent-customer rule. Config is data: every change is a new row
    (version + who + when), the newest row is in force, the older ones are its history."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    weight_opened = models.DecimalField(_("打开（邮件/资料）"), max_digits=5, decimal_places=2, default=1)
    weight_clicked = models.DecimalField(_("点击链接"), max_digits=5, decimal_places=2, default=3)
    weight_downloaded = models.DecimalField(_("下载资料"), max_digits=5, decimal_places=2, default=5)
    weight_meeting_booked = models.DecimalField(_("预约会议"), max_digits=5, decimal_places=2, default=8)
    half_life_days = models.DecimalField(_("半衰期(天)"), max_digits=5, decimal_places=1, default=7)
    silent_hours = models.PositiveIntegerField(_("沉默时长(小时)"), default=72)
    silent_score_below = models.DecimalField(_("沉默客户价值分低于"), max_digits=6, decimal_places=2, default=5)
    changed_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("修改人"))
    changed_at = models.DateTimeField(_("修改时间"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("触点价值权重")
        verbose_name_plural = _("触点价值权重")
        constraints = [
            models.CheckConstraint(condition=models.Q(half_life_days__gt=0), name="engagement_policy_half_life_positive"),
            models.CheckConstraint(
                condition=models.Q(weight_opened__gte=0, weight_clicked__gte=0, weight_downloaded__gte=0, weight_meeting_booked__gte=0),
                name="engagement_policy_weights_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"
