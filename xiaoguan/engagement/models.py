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
