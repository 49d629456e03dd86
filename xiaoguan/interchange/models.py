"""The record of bulk loads: one row per import that wrote something, and the UI's uploads awaiting confirmation."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportRun(models.Model):
    """One bulk load. Imports write no per-row history; this row is the history of the load as a whole."""

    class Kind(models.TextChoices):
        FOLDER = "folder", _("CSV 文件夹")
        ZIP = "zip", _("ZIP 压缩包")
        WORKBOOK = "workbook", _("Excel 工作簿")
        LEADS = "leads", _("线索表格")
        DEMO = "demo", _("演示数据")

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        DONE = "done", _("已导入")
        REFUSED = "refused", _("有错误，未导入")
        CANCELLED = "cancelled", _("已取消")

    # Pages name a run by this token, never by its primary key.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    source_name = models.CharField(_("来源"), max_length=255)
    upload = models.CharField(_("上传文件"), max_length=500, blank=True, help_text="path under MEDIA_ROOT while pending")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    report = models.JSONField(_("报告"), default=dict, blank=True)
    settings = models.JSONField(_("选项"), default=dict, blank=True, help_text="column mapping of a leads sheet")

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source_name} ({self.get_status_display()})"


class UnresolvedReference(models.Model):
    """An evidence record's (activity, touch event) reference to a record the source had and this database does not.

    The source system's id is kept as written, so the record can be exported exactly as it came and the
    reference resolves by itself when a newer export brings the missing record. Such references are often
    themselves evidence: an invented follow-up names a deal that never existed.
    """

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    column = models.CharField(_("列"), max_length=32)
    external_id = models.CharField(_("原编号"), max_length=64)

    class Meta:
        verbose_name = _("未解析的引用")
        verbose_name_plural = _("未解析的引用")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "column"], name="unresolved_reference_unique")
        ]
        indexes = [models.Index(fields=["external_id"])]

    def __str__(self) -> str:
        return f"{self.column}={self.external_id}"


class PlaceholderAccount(models.Model):
    """An account known only from activities that name it (an activity must concern something it can point at).

    Not exported as an account; replaced in place when an import brings the real one.
    """

    account = models.OneToOneField("customers.Account", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("占位客户")
        verbose_name_plural = _("占位客户")

    def __str__(self) -> str:
        return str(self.account_id)
