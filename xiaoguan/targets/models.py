"""Sales targets (目标) for a person or a team over a month or a quarter."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel
from xiaoguan.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class Target(ExternalIdModel):
    """The interchange format has no id for targets: the external id is `period:scope_kind:scope_id:product_line`."""

    EXTERNAL_PREFIX = "TG"

    class ScopeKind(models.TextChoices):
        USER = "user", _("个人")
        TEAM = "team", _("团队")

    period = models.CharField(_("周期"), max_length=7, help_text="2025-Q4 / 2025-11")
    scope_kind = models.CharField(_("对象类型"), max_length=8, choices=ScopeKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="targets", verbose_name=_("人员"))
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="targets", verbose_name=_("团队"))
    product_line = models.CharField(_("产品线"), max_length=100, blank=True)
    amount = models.DecimalField(_("目标金额"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="target_amount_not_negative"),
            models.CheckConstraint(
                condition=(models.Q(scope_kind="user", user__isnull=False, team__isnull=True) | models.Q(scope_kind="team", team__isnull=False, user__isnull=True)),
                name="target_scope_matches_kind",
            ),
        ]

    @staticmethod
    def key_for(*, period: str, scope_kind: str, scope_id: str, product_line: str) -> str:
        return f"{period}:{scope_kind}:{scope_id}:{product_line}"


class TargetFitReport(models.Model):
    """The monthly target-fit report (目标适配度报告): the figures as computed once, kept as they were.

    One per month (`2025-11`), about the target period holding that month's first day. The proposals a manager adjusts
    and accepts are rows beside it (TargetProposal), so the figures themselves never change after the fact.
    """

    month = models.CharField(_("月份"), max_length=7, unique=True, help_text="2025-11")
    period = models.CharField(_("目标周期"), max_length=7, help_text="2025-Q4 / 2025-11")
    as_of = models.DateTimeField(_("数据截至"))
    created_at = models.DateTimeField(_("生成时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("生成人"))
    figures = models.JSONField(_("数据"), default=dict)

    class Meta:
        verbose_name = _("目标适配度报告")
        verbose_name_plural = _("目标适配度报告")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month} ({self.period})"


class TargetProposal(models.Model):
    """The model's proposed target for one rep in a report, and what a manager made of it (within ±15 %, with a reason).

    `proposed` never changes; `amount` starts equal to it. Every adjustment is also a change-history entry (who, when,
    from, to, why). Accepting writes `amount` into the rep's Target row of the report's period.
    """

    report = models.ForeignKey(TargetFitReport, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("报告"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("人员"))
    proposed = models.DecimalField(_("建议目标"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    amount = models.DecimalField(_("调整后目标"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    reason = models.CharField(_("调整理由"), max_length=300, blank=True)
    adjusted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("调整人"))
    adjusted_at = models.DateTimeField(_("调整时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("采纳人"))
    accepted_at = models.DateTimeField(_("采纳时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("目标建议")
        verbose_name_plural = _("目标建议")
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="target_proposal_one_per_rep"),
            models.CheckConstraint(condition=models.Q(proposed__gte=0, amount__gte=0), name="target_proposal_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}:{self.user_id} {self.amount}"
