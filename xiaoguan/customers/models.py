"""Accounts (客户) and their contacts (联系人)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import DedupeKeysModel, ExternalIdModel
from xiaoguan.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from xiaoguan.core.normalize import company_key, phone_key


class Account(DedupeKeysModel, ExternalIdModel):
    EXTERNAL_PREFIX = "A"
    DEDUPE_KEYS = (("name", "name_key", company_key),)

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        GOVERNMENT = "government", _("政府")
        EDUCATION = "education", _("教育")
        HOSPITAL = "hospital", _("医院")
        RETAIL = "retail", _("零售")
        INDIVIDUAL = "individual", _("个人")

    class Size(models.TextChoices):
        S1 = "1-49", "1-49"
        S2 = "50-199", "50-199"
        S3 = "200-999", "200-999"
        S4 = "1000+", "1000+"

    class Grade(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    name = models.CharField(_("客户名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, blank=True)
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    region = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("大区"))
    city = models.CharField(_("城市"), max_length=50, blank=True)
    size = models.CharField(_("规模"), max_length=16, choices=Size.choices, blank=True)
    grade = models.CharField(_("等级"), max_length=1, choices=Grade.choices, blank=True)
    owner = models.ForeignKey(  # indexed by (owner, -created_at) below
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("负责人"), db_index=False
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    credit_limit = models.DecimalField(_("信用额度"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, null=True, blank=True)
    payment_terms_days = models.PositiveIntegerField(_("账期(天)"), null=True, blank=True)
    next_follow_up_at = models.DateTimeField(_("下次跟进"), null=True, blank=True)
    # The dedupe key of the name (core/normalize.py): 某某(中国)有限公司 and 某某 are one customer.
    name_key = models.CharField(max_length=200, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["owner", "next_follow_up_at"]),
            models.Index(fields=["name"]),
            models.Index(fields=["name_key"], name="account_name_key", condition=~models.Q(name_key="")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(credit_limit__gte=0) | models.Q(credit_limit__isnull=True), name="account_credit_limit_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name



class Contact(DedupeKeysModel, ExternalIdModel):
    EXTERNAL_PREFIX = "C"
    DEDUPE_KEYS = (("phone", "phone_key", phone_key),)

    class DecisionRole(models.TextChoices):
        DECISION_MAKER = "decision_maker", _("决策人")
        INFLUENCER = "influencer", _("影响人")
        PROCUREMENT = "procurement", _("采购")
        USER = "user", _("使用者")
        FINANCE = "finance", _("财务")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("客户"))
    name = models.CharField(_("姓名"), max_length=100)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    role_in_decision = models.CharField(_("决策角色"), max_length=16, choices=DecisionRole.choices, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    wechat = models.CharField(_("微信"), max_length=64, blank=True)
    phone_key = models.CharField(max_length=16, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        indexes = [models.Index(fields=["phone_key"], name="contact_phone_key", condition=~models.Q(phone_key=""))]

    def __str__(self) -> str:
        return self.name


