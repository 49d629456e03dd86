"""Keyword evidence: admin-edited Chinese dictionaries, and what a scan found in each activity."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class KeywordDictionary(models.Model):
    """One list of words that means one thing (报价, 合同, 样品, 比价, 招标 … or the competitors).

    `code` is what stage gates ask for (`kw:<code>`, opportunities/gates.py); `stage_key` is the stage a match is
    evidence for. Every change bumps `version` and is kept in the change history (services.keyword_dictionary_update).
    """

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    label = models.CharField(_("名称"), max_length=50)
    stage_key = models.CharField(_("证据所属阶段"), max_length=50, blank=True)
    words = models.JSONField(_("关键词"), default=list, blank=True)
    is_competitor = models.BooleanField(_("竞品名单"), default=False)
    enabled = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("关键词词典")
        verbose_name_plural = _("关键词词典")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.label


class ActivityEvidence(models.Model):
    """An activity tagged as evidence of one dictionary, with each match: the word, the text as written, where."""

    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="evidence", verbose_name=_("跟进记录"))
    opportunity = models.ForeignKey(
        "opportunities.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("商机"), db_index=False
    )
    code = models.CharField(_("证据"), max_length=40)
    stage_key = models.CharField(_("阶段"), max_length=50, blank=True)
    # [{"word": "比价", "text": "比價", "field": "content", "start": 3, "end": 5}]; offsets in the stored text.
    matches = models.JSONField(_("命中"), default=list)
    scanned_at = models.DateTimeField(_("扫描时间"))

    class Meta:
        verbose_name = _("关键词证据")
        verbose_name_plural = _("关键词证据")
        constraints = [models.UniqueConstraint(fields=["activity", "code"], name="activity_evidence_unique")]
        indexes = [models.Index(fields=["opportunity", "code"])]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.code}"
