"""Routing configuration as data: ordered rules with a version and a history, per-rep capacity, one round-robin
cursor per rule, and why a lead is waiting in the fallback queue (待分配).

The shape of `RoutingRule.conditions` is documented (and checked) in routing/engine.py, `Conditions`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel

DEFAULT_DAILY_CAP = 15


def default_daily_cap() -> int:
    """New leads one rep may receive per organisation day unless their own cap says otherwise."""
    return int(getattr(settings, "XIAOGUAN_LEAD_DAILY_CAP", DEFAULT_DAILY_CAP))


class RoutingRule(ExternalIdModel):
    """One rule: conditions on the lead, a target group (a team subtree's active reps, or named reps), a strategy.

    Rules are evaluated by `position` (then pk); the first enabled rule whose conditions all hold wins. Every change
    bumps `version` and writes a history entry; each assignment records the rule version that made it.
    """

    EXTERNAL_PREFIX = "RR"

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("轮询")
        LEAST_LOADED = "least_loaded", _("负载最少优先")

    name = models.CharField(_("规则名称"), max_length=100)
    position = models.PositiveIntegerField(_("顺序"), default=0)
    enabled = models.BooleanField(_("启用"), default=True)
    conditions = models.JSONField(_("条件"), default=dict, blank=True)
    target_team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("分配到团队")
    )
    target_rep_ids = models.JSONField(_("分配到销售"), default=list, blank=True)
    strategy = models.CharField(_("分配方式"), max_length=16, choices=Strategy.choices, default=Strategy.ROUND_ROBIN)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )

    class Meta:
        verbose_name = _("分配规则")
        verbose_name_plural = _("分配规则")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["enabled", "position"])]

    def __str__(self) -> str:
        return self.name


class RoutingCursor(models.Model):
    """Where a round-robin rule's turn stands: `turns` counts the turns taken, and turn t starts at member t mod n of
    the group. A capture takes its turn with one atomic increment (routing/services.py: `_turn_take`); `lead_route`
    reads it under a row lock and advances it with the assignment. Either way no two requests take the same turn.
    `last_rep_id` records who was given the last lead routed that way."""

    rule = models.OneToOneField(RoutingRule, primary_key=True, on_delete=models.CASCADE, related_name="cursor")
    last_rep_id = models.BigIntegerField(null=True, blank=True)
    turns = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("轮询位置")
        verbose_name_plural = _("轮询位置")

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.last_rep_id}"


class RepCapacity(models.Model):
    """A rep's own daily cap and absence. No row: the default cap, present."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="routing_capacity", verbose_name=_("销售")
    )
    daily_cap = models.PositiveIntegerField(_("每日上限"), null=True, blank=True, help_text=_("留空使用系统默认值"))
    away = models.BooleanField(_("暂停接收"), default=False)
    absent_from = models.DateField(_("请假开始"), null=True, blank=True)
    absent_until = models.DateField(_("请假结束"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接收能力")
        verbose_name_plural = _("接收能力")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(absent_from__isnull=True) | models.Q(absent_until__isnull=True) | models.Q(absent_until__gte=models.F("absent_from")),
                name="rep_capacity_absence_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user_id)


class RouteMiss(models.Model):
    """Why routing left a lead unassigned (no rule matched, or the whole group was full or away): the fallback
    queue shows it beside the lead. Overwritten at each attempt; stale once the lead has an owner."""

    lead = models.OneToOneField("leads.Lead", primary_key=True, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("时间"))
    rule_id = models.BigIntegerField(null=True, blank=True)
    rule_name = models.CharField(_("规则"), max_length=100, blank=True)
    reason = models.CharField(_("原因"), max_length=500)
    details = models.JSONField(_("明细"), default=dict, blank=True)

    class Meta:
        verbose_name = _("未分配原因")
        verbose_name_plural = _("未分配原因")

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.reason}"
