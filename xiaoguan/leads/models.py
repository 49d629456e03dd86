"""Leads (线索): what comes in before it is a customer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import DedupeKeysModel, ExternalIdModel
from xiaoguan.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from xiaoguan.core.normalize import company_key, email_key, phone_key


class Lead(DedupeKeysModel, ExternalIdModel):
    EXTERNAL_PREFIX = "L"
    DEDUPE_KEYS = (("phone", "phone_key", phone_key), ("email", "email_key", email_key), ("company", "company_key", company_key))

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
    # An existing customer this lead came from (dedupe linked it): its owner gets the lead.
    account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads", verbose_name=_("所属客户"))
    # The first-contact clock (the Timer row is the truth for the sweep; this copy is for the inbox's colours).
    first_contact_due_at = models.DateTimeField(_("首次联系时限"), null=True, blank=True)
    last_touched_at = models.DateTimeField(_("最近跟进"), null=True, blank=True)
    pool_since = models.DateTimeField(_("进入公海"), null=True, blank=True)
    capture_count = models.PositiveIntegerField(_("留资次数"), default=1)
    routing_reason = models.CharField(_("分配原因"), max_length=500, blank=True)
    # Dedupe keys (core/normalize.py), kept by save(): +86 138-1234-5678 and 13812345678 are one person.
    phone_key = models.CharField(max_length=16, blank=True, default="", editable=False)
    email_key = models.CharField(max_length=254, blank=True, default="", editable=False)
    company_key = models.CharField(max_length=200, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("线索")
        verbose_name_plural = _("线索")
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"]),
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["-created_at"]),
            models.Index(fields=["phone_key"], name="lead_phone_key", condition=~models.Q(phone_key="")),
            models.Index(fields=["email_key"], name="lead_email_key", condition=~models.Q(email_key="")),
            models.Index(fields=["company_key"], name="lead_company_key", condition=~models.Q(company_key="")),
            models.Index(fields=["region", "-pool_since"], name="lead_pool", condition=models.Q(pool_since__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=0) | models.Q(budget__isnull=True), name="lead_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name or self.company or self.external_id

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    @property
    def in_pool(self) -> bool:
        return self.pool_since is not None



class LeadPolicy(models.Model):
    """The lead clock's numbers for a team (its subtree inherits them), or the company default when team is empty."""

    team = models.OneToOneField("org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("团队"))
    first_contact_minutes = models.PositiveIntegerField(_("首次联系时限(工作分钟)"), default=60)
    escalate_manager_minutes = models.PositiveIntegerField(_("升级到直属上级(工作分钟)"), default=120)
    escalate_second_minutes = models.PositiveIntegerField(_("升级到上上级(工作分钟)"), default=240)
    pool_return_days = models.PositiveIntegerField(_("未跟进退回公海(天)"), default=7)
    pool_claim_daily_limit = models.PositiveIntegerField(_("每人每天可领取公海线索"), default=10)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("线索时效规则")
        verbose_name_plural = _("线索时效规则")
        constraints = [
            models.UniqueConstraint(fields=["team"], name="lead_policy_one_per_team"),
            models.CheckConstraint(
                condition=models.Q(first_contact_minutes__lt=models.F("escalate_manager_minutes"), escalate_manager_minutes__lt=models.F("escalate_second_minutes")),
                name="lead_policy_escalation_order",
            ),
        ]

    def __str__(self) -> str:
        return str(self.team or _("公司默认"))


class LeadAssignment(models.Model):
    """Who got a lead, when, and why: the rule (as it was at that version) and the reason in words."""

    class Kind(models.TextChoices):
        ROUTED = "routed", _("规则分配")
        MANUAL = "manual", _("手工分配")
        ACCOUNT_OWNER = "account_owner", _("老客户归属")
        CLAIMED = "claimed", _("公海领取")
        REROUTED = "rerouted", _("重新分配")
        RELEASED = "released", _("退回公海")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("线索"), db_index=False)
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("销售"), db_index=False)
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人"))
    kind = models.CharField(_("方式"), max_length=16, choices=Kind.choices)
    # No foreign key to the rule: the log keeps the rule as it was, even after it is edited or deleted.
    rule_id = models.BigIntegerField(_("规则"), null=True, blank=True)
    rule_name = models.CharField(_("规则名称"), max_length=100, blank=True)
    rule_version = models.PositiveIntegerField(_("规则版本"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    details = models.JSONField(_("明细"), default=dict, blank=True)

    class Meta:
        verbose_name = _("线索分配记录")
        verbose_name_plural = _("线索分配记录")
        indexes = [
            models.Index(fields=["lead", "-at"]),
            # Daily caps count today's assignments per rep.
            models.Index(fields=["rep", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} → {self.rep_id}"


class RepDailyIntake(models.Model):
    """How many new leads a rep received on a day (organisation time): what the daily cap counts.

    Kept beside every assignment row (leads/services/assign.py) so routing reads one row per rep instead of counting
    the day's assignments, a count that grows through the day (13,000 rows: 9 ms per routed lead on SQLite)."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    assigned = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("每日接收线索数")
        verbose_name_plural = _("每日接收线索数")
        constraints = [models.UniqueConstraint(fields=["rep", "day"], name="rep_daily_intake_one_per_day")]

    def __str__(self) -> str:
        return f"{self.rep_id} {self.day}: {self.assigned}"
