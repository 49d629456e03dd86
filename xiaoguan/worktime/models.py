"""Models of worktime: the holiday table (China's public holidays and make-up workdays) and working hours per team."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

# ISO weekdays as digits, Monday = 1: "12345" is Monday to Friday.
DEFAULT_WEEKDAYS = "12345"
DEFAULT_PERIODS = "09:00-12:00,13:30-18:00"


class Holiday(models.Model):
    """One day that is not what its weekday says: a public holiday (放假) or a make-up workday (调休上班).

    A year with at least one row here is decided by this table alone; a year without rows falls back to the
    bundled chinese-calendar package, and a year neither covers counts Monday to Friday (with a warning banner).
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    class Origin(models.TextChoices):
        BUNDLED = "bundled", _("内置日历")
        ADMIN = "admin", _("管理员")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=60, blank=True)
    origin = models.CharField(_("来源"), max_length=16, choices=Origin.choices, default=Origin.ADMIN)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"

    @property
    def is_workday(self) -> bool:
        return self.kind == self.Kind.WORKDAY


class WorkSchedule(models.Model):
    """Working hours of a team and of its sub-teams that have none of their own; the row without a team is the
    company default. `periods` are wall-clock times in the organisation's time zone."""

    team = models.OneToOneField(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="work_schedule", verbose_name=_("团队")
    )
    weekdays = models.CharField(_("工作日"), max_length=7, default=DEFAULT_WEEKDAYS, help_text=_("ISO 星期几，1=周一 … 7=周日，如 12345"))
    periods = models.CharField(
        _("工作时段"), max_length=200, default=DEFAULT_PERIODS, help_text=_("如 09:00-12:00,13:30-18:00（组织时区）")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作时间")
        verbose_name_plural = _("工作时间")
        constraints = [
            # A unique column allows many NULLs: the company default (team NULL) is made unique through an expression.
            models.UniqueConstraint(Coalesce("team", models.Value(0)), name="workschedule_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.team_id or '-'} {self.weekdays} {self.periods}"
