"""The insights' own records: weekly forecast snapshots and the managers' calls beside them.

Analytics never write business records; these two tables are what the forecast pages need to look back: what the
model said on each Monday (it cannot be recomputed honestly once the data has moved on without a backfill) and what
the manager committed to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class ForecastSnapshot(models.Model):
    """The model's forecast of won contract value for the rest of a quarter, as of a Monday 00:00, for one scope.

    `team` is a region or a team below one; empty means the whole company. `total`/`low`/`high` cover the window
    [as_of, until) only; `won_before` is what the scope had already won in the quarter before as_of, so
    `won_before + total` is the quarter's landing as the model saw it that Monday.
    """

    week = models.DateField(_("周（周一）"))
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("范围"),
    )
    quarter_start = models.DateField(_("季度首日"))
    as_of = models.DateTimeField(_("预测时点"))
    until = models.DateTimeField(_("窗口结束"))
    total = models.DecimalField(_("预测成交额"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    low = models.DecimalField(_("P10"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    high = models.DecimalField(_("P90"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    won_before = models.DecimalField(_("季度内已成交"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    # The parts, when the model reports them (open deals on the as-of day vs. deals not yet created).
    open_part = models.DecimalField(_("在手商机部分"), null=True, blank=True, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    new_part = models.DecimalField(_("新增商机部分"), null=True, blank=True, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    explain = models.JSONField(_("说明"), default=list, blank=True)
    taken_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("预测快照")
        verbose_name_plural = _("预测快照")
        ordering = ["week"]
        constraints = [
            # Two constraints because NULL never equals NULL in a unique index: the company row needs its own.
            models.UniqueConstraint(fields=["week", "team"], name="forecast_snapshot_one_per_team_week"),
            models.UniqueConstraint(
                fields=["week"], condition=models.Q(team__isnull=True), name="forecast_snapshot_one_company_week",
            ),
        ]
        indexes = [models.Index(fields=["team", "quarter_start", "week"])]

    def __str__(self) -> str:
        return f"{self.week} {self.team_id or 'company'}: {self.total}"

    @property
    def landing(self) -> float:
        """The quarter as the model saw it that Monday: already won plus the expected rest."""
        return float(self.won_before + self.total)

    @property
    def landing_low(self) -> float:
        return float(self.won_before + self.low)

    @property
    def landing_high(self) -> float:
        return float(self.won_before + self.high)


class ForecastCall(models.Model):
    """A manager's own call for a scope's quarter (已成交 included), entered beside the model's number.

    Rows are never changed: a new call in the same week is a new row and the latest one counts, so the history of who
    said what, and when, stays.
    """

    class Kind(models.TextChoices):
        COMMIT = "commit", _("承诺数")
        BEST_CASE = "best_case", _("乐观数")

    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("范围"),
    )
    quarter_start = models.DateField(_("季度首日"))
    week = models.DateField(_("周（周一）"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("金额"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    comment = models.CharField(_("说明"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("填报人"))
    at = models.DateTimeField(_("填报时间"))

    class Meta:
        verbose_name = _("经理预测")
        verbose_name_plural = _("经理预测")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["team", "quarter_start", "week"])]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="forecast_call_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.week} {self.team_id or 'company'} {self.kind}: {self.amount}"
