"""Leads (线索): what comes in before it is a customer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel
from xiaoguan.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class Lead(ExternalIdModel):
    EXTERNAL_PREFIX = "L"

    class Source(models.TextChoices):
        WEB_FORM = "web_form", _("官网表单")
        WECOM = "wecom", _("企业微信")
        DINGTALK = "dingtalk", _("钉钉")
        PHONE = "phone", _("电话")
        EVENT = "event", _("展会活动")
        REFERRAL = "referral", _("转介绍")
        IMPORT = "import", _("导入")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        NEW = "new", _("新线索")
        ASSIGNED = "assigned", _("已分配")
        CONTACTED = "contacted", _("已联系")
        QUALIFIED = "qualified", _("已确认")
        DISQUALIFIED = "disqualified", _("无效")
        CONVERTED = "converted", _("已转化")

    CLOSED_STATUSES = (Status.DISQUALIFIED, Status.CONVERTED)

    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.OTHER)
    name = models.CharField(_("姓名"), max_length=100, blank=True)
    company = models.CharField(_("公司"), max_length=200, blank=True)
    phone = models.CharField(_("手机"), max_length=32, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    region = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("大区"))
    city = models.CharField(_("城市"), max_length=50, blank=True)
    company_size = models.CharField(_("公司规模"), max_length=16, blank=True)
    budget = models.DecimalField(_("预算"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="leads", verbose_name=_("负责人"), db_index=False)
    assigned_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("首次联系"), null=True, blank=True)
    converted_account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("转化客户"))
    converted_opportunity = models.ForeignKey("opportunities.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("转化商机"))

    class Meta:
        verbose_name = _("线索")
        verbose_name_plural = _("线索")
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"]),
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=0) | models.Q(budget__isnull=True), name="lead_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name or self.company or self.external_id

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES
