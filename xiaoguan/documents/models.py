"""Documents (资料): evidence files, quotes, proposals and contracts, kept in the storage under var/."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel


class Document(ExternalIdModel):
    """One stored file. `original_name` is what the uploader called it (cleaned); the file itself is stored under a
    generated name, and its type is what its bytes are, not what its name or the browser claimed."""

    EXTERNAL_PREFIX = "D"

    class Kind(models.TextChoices):
        REQUIREMENTS_SURVEY = "requirements_survey", _("需求调研表")
        PROPOSAL = "proposal", _("方案书")
        QUOTE = "quote", _("报价单")
        PRICE_COMPARISON = "price_comparison", _("三方比价")
        MINUTES = "minutes", _("会议纪要")
        CONTRACT = "contract", _("合同")
        OTHER = "other", _("其他")

    file = models.FileField(_("文件"), upload_to="documents/%Y/%m/", max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    kind = models.CharField(_("类别"), max_length=24, choices=Kind.choices, default=Kind.OTHER)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"))
    account = models.ForeignKey(
        "customers.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="documents", verbose_name=_("客户"), db_index=False
    )
    opportunity = models.ForeignKey(
        "opportunities.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="documents", verbose_name=_("商机"), db_index=False
    )

    class Meta:
        verbose_name = _("资料")
        verbose_name_plural = _("资料")
        indexes = [
            models.Index(fields=["opportunity", "kind", "-uploaded_at"]),
            models.Index(fields=["account", "-uploaded_at"]),
        ]

    def __str__(self) -> str:
        return self.original_name
