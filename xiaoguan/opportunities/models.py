"""Pipelines with ordered stages, opportunities (商机) and the history of their stages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel
from xiaoguan.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

# spec/interchange.md: the stages every pipeline has when pipelines.csv does not say otherwise.
DEFAULT_STAGES: tuple[tuple[str, str, bool], ...] = (
    ("lead_confirmed", "线索确认", False),
    ("needs_diagnosed", "需求诊断", False),
    ("solution_demo", "方案演示", False),
    ("quote_negotiation", "报价谈判", False),
    ("contract_signed", "合同签署", True),
    ("delivered_paid", "交付回款", False),
)


class Pipeline(ExternalIdModel):
    """`external_id` is the pipeline key of the interchange format (`standard`, `long_cycle`)."""

    EXTERNAL_PREFIX = "P"

    name = models.CharField(_("名称"), max_length=100)
    # Stale alerts (opportunities/rules.py): a deal this many workdays in one stage, or this many days without any
    # interaction, alerts its owner; the manager hears of it STALE_ESCALATE_* later if nothing changed.
    stale_stage_workdays = models.PositiveSmallIntegerField(_("阶段停留预警（工作日）"), default=5)
    stale_silence_days = models.PositiveSmallIntegerField(_("无互动预警（天）"), default=7)

    class Meta:
        verbose_name = _("销售流程")
        verbose_name_plural = _("销售流程")

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    key = models.CharField(_("阶段键"), max_length=50)
    name = models.CharField(_("阶段名称"), max_length=100)
    position = models.PositiveSmallIntegerField(_("顺序"))
    is_won = models.BooleanField(_("赢单阶段"), default=False)

    class Meta:
        verbose_name = _("阶段")
        verbose_name_plural = _("阶段")
        ordering = ["pipeline_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "key"], name="stage_key_unique"),
            models.UniqueConstraint(fields=["pipeline", "position"], name="stage_position_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Opportunity(ExternalIdModel):
    EXTERNAL_PREFIX = "O"

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        WON = "won", _("赢单")
        LOST = "lost", _("输单")

    # db_index=False where a composite index below already starts with the column.
    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("客户"), db_index=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("负责人"), db_index=False)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("销售流程"))
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("阶段"))
    product_line = models.CharField(_("产品线"), max_length=100, blank=True)
    name = models.CharField(_("商机名称"), max_length=200, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, null=True, blank=True)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    expected_close = models.DateField(_("预计成交"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    lost_reason = models.CharField(_("输单原因"), max_length=200, blank=True)
    competitor = models.CharField(_("竞争对手"), max_length=100, blank=True)
    next_follow_up_at = models.DateTimeField(_("下次跟进"), null=True, blank=True)
    # The seeds' minimal five required fields are customer, stage, next follow-up, core need and blocker.
    core_need = models.CharField(_("核心诉求"), max_length=300, blank=True)
    blocker = models.CharField(_("卡点问题"), max_length=300, blank=True)
    # What the conversations and files have shown so far, by evidence code: {"price_comparison": {"at", "source",
    # "activity", "words"}}. Written by the keyword scan (xiaoguan.evidence); read by the stage gates. Never the stage.
    evidence_seen = models.JSONField(_("已见证据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("商机")
        verbose_name_plural = _("商机")
        indexes = [
            models.Index(fields=["owner", "status", "stage", "amount"]),  # per-owner pipeline sums from the index alone
            models.Index(fields=["account", "-created_at"]),
            models.Index(fields=["status", "expected_close"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0) | models.Q(amount__isnull=True), name="opportunity_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class StageHistory(models.Model):
    """One entry into a stage. The interchange format has no id: (opportunity, stage, entered_at) is the key."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_history", db_index=False)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("进入时间"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A move past missing evidence: the manager who allowed it says why (seeds: exceptions are kept, not hidden).
    override_reason = models.CharField(_("越过证据的理由"), max_length=300, blank=True)
    missing = models.JSONField(_("越过时缺少"), default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("审批人")
    )

    class Meta:
        verbose_name = _("阶段历史")
        verbose_name_plural = _("阶段历史")
        ordering = ["opportunity_id", "entered_at"]
        constraints = [models.UniqueConstraint(fields=["opportunity", "stage", "entered_at"], name="stage_history_unique")]
        # The cockpit's funnel and dwell read the entries of a period across all deals.
        indexes = [models.Index(fields=["entered_at"], name="stage_history_entered")]

    def __str__(self) -> str:
        return f"{self.opportunity_id} → {self.stage_id} @ {self.entered_at:%Y-%m-%d %H:%M}"


class StageGate(models.Model):
    """The exit criteria of one stage, set by an admin: what must be true before a deal leaves it forward.

    A stage without a row has the built-in defaults (opportunities/gates.py, per pipeline key and stage key), so a
    pipeline created by an import is gated at once. Every save bumps `version` and writes a change-history entry.
    """

    stage = models.OneToOneField(Stage, on_delete=models.CASCADE, related_name="gate", verbose_name=_("阶段"))
    # Evidence action codes (gates.py: ACTIONS); "a|b" means either will do.
    required_actions = models.JSONField(_("证据动作"), default=list, blank=True)
    required_fields = models.JSONField(_("必填字段"), default=list, blank=True)
    needs_approval = models.BooleanField(_("需要经理审批"), default=False)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("阶段准出条件")
        verbose_name_plural = _("阶段准出条件")

    def __str__(self) -> str:
        return f"{self.stage} v{self.version}"


class StageMoveRequest(models.Model):
    """A rep's move that waits for a manager's approval (the stage's gate asks for one)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_requests", verbose_name=_("商机"))
    from_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+", verbose_name=_("原阶段"))
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+", verbose_name=_("目标阶段"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("审批人")
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    note = models.CharField(_("审批意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("阶段推进审批")
        verbose_name_plural = _("阶段推进审批")
        constraints = [
            models.UniqueConstraint(fields=["opportunity"], condition=models.Q(status="pending"), name="stage_request_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} → {self.to_stage_id} ({self.status})"
