"""Writes on opportunities: create, move through stages, close won/lost, reopen."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoguan.automation.followup import follow_up_reminder_arm
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_record, history_update
from xiaoguan.core.models import HistoryEntry
from xiaoguan.customers.models import Account
from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage, StageHistory
from xiaoguan.org.models import User
from xiaoguan.org.visibility import can_change


def _won_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(is_won=True).order_by("position").first()
    if stage is None:
        raise InvalidStateError(_("该销售流程没有设置赢单阶段"))
    return stage


def _enter_stage(*, opportunity: Opportunity, stage: Stage, by: User, now: datetime) -> None:
    StageHistory.objects.create(opportunity=opportunity, stage=stage, entered_at=now, changed_by=by)


@transaction.atomic
def opportunity_create(
    *,
    account: Account,
    by: User,
    now: datetime,
    name: str = "",
    owner: User | None = None,
    pipeline: Pipeline | None = None,
    product_line: str = "",
    amount: Decimal | None = None,
    expected_close: date | None = None,
) -> Opportunity:
    """Open a deal on an account, in the first stage of its pipeline."""
    owner = owner or account.owner or by
    if not can_change(user=by, owner=owner):
        raise NotAllowedError()
    if amount is not None and amount < 0:
        raise ValidationFailedError(field_errors={"amount": [_("金额不能为负数")]})
    pipeline = pipeline or Pipeline.objects.get(external_id="standard")
    first = pipeline.stages.order_by("position").first()
    if first is None:
        raise InvalidStateError(_("该销售流程还没有阶段"))
    opportunity = Opportunity.objects.create(
        account=account, owner=owner, pipeline=pipeline, stage=first, product_line=product_line,
        name=(name.strip() or f"{account.name}-{product_line}".rstrip("-"))[:200], amount=amount,
        expected_close=expected_close, created_at=now,
    )
    _enter_stage(opportunity=opportunity, stage=first, by=by, now=now)
    history_record(subject=opportunity, actor=by, action=HistoryEntry.Action.CREATED, at=now)
    return opportunity


OPPORTUNITY_EDITABLE = frozenset({"name", "product_line", "amount", "expected_close", "next_follow_up_at"})


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, by: User, now: datetime, values: dict[str, Any]) -> Opportunity:
    """Change a deal's editable fields; stage and status change only through their own actions."""
    if not can_change(user=by, owner=opportunity.owner):
        raise NotAllowedError()
    amount = values.get("amount")
    if amount is not None and amount < 0:
        raise ValidationFailedError(field_errors={"amount": [_("金额不能为负数")]})
    changes = history_update(instance=opportunity, values=values, editable=OPPORTUNITY_EDITABLE, by=by, now=now)
    if "next_follow_up_at" in changes:
        follow_up_reminder_arm(subject_kind="opportunity", subject_id=opportunity.pk, due_at=opportunity.next_follow_up_at, now=now)
    return opportunity


@transaction.atomic
def opportunity_move_stage(*, opportunity: Opportunity, stage: Stage, by: User, now: datetime) -> Opportunity:
    """Move an open deal to another stage of its pipeline. Reaching the won stage (or beyond) wins it."""
    if not can_change(user=by, owner=opportunity.owner):
        raise NotAllowedError()
    if stage.pipeline_id != opportunity.pipeline_id:
        raise ValidationFailedError(_("该阶段不属于这个商机的销售流程"))
    if not opportunity.is_open:
        raise InvalidStateError(_("商机已关闭，请先重新打开"))
    if stage.pk == opportunity.stage_id:
        return opportunity
    old = opportunity.stage
    opportunity.stage = stage
    changes = {"stage": [old.name, stage.name]}
    if stage.position >= _won_stage(opportunity.pipeline).position:
        opportunity.status, opportunity.closed_at = Opportunity.Status.WON, now
        changes["status"] = [Opportunity.Status.OPEN, Opportunity.Status.WON]
    opportunity.save(update_fields=["stage", "status", "closed_at", "updated_at"])
    _enter_stage(opportunity=opportunity, stage=stage, by=by, now=now)
    history_record(subject=opportunity, actor=by, action=HistoryEntry.Action.STAGE, at=now, changes=changes)
    return opportunity


@transaction.atomic
def opportunity_close_won(*, opportunity: Opportunity, by: User, now: datetime) -> Opportunity:
    """Win the deal: it enters the pipeline's won stage (contract signed)."""
    if not opportunity.is_open:
        raise InvalidStateError(_("商机已关闭"))
    return opportunity_move_stage(opportunity=opportunity, stage=_won_stage(opportunity.pipeline), by=by, now=now)


@transaction.atomic
def opportunity_close_lost(*, opportunity: Opportunity, by: User, now: datetime, reason: str, competitor: str = "") -> Opportunity:
    """Lose the deal. A reason is required: it is what the team learns from."""
    if not can_change(user=by, owner=opportunity.owner):
        raise NotAllowedError()
    if not opportunity.is_open:
        raise InvalidStateError(_("商机已关闭"))
    reason = reason.strip()
    if not reason:
        raise ValidationFailedError(field_errors={"reason": [_("请填写输单原因")]})
    opportunity.status, opportunity.closed_at = Opportunity.Status.LOST, now
    opportunity.lost_reason, opportunity.competitor = reason[:200], competitor.strip()[:100]
    opportunity.save(update_fields=["status", "closed_at", "lost_reason", "competitor", "updated_at"])
    history_record(
        subject=opportunity, actor=by, action=HistoryEntry.Action.CLOSED, at=now,
        changes={"status": [Opportunity.Status.OPEN, Opportunity.Status.LOST], "lost_reason": ["", reason], "competitor": ["", competitor]},
    )
    return opportunity


@transaction.atomic
def opportunity_reopen(*, opportunity: Opportunity, by: User, now: datetime) -> Opportunity:
    """Open a closed deal again. A won deal goes back to the stage before the won stage."""
    if not can_change(user=by, owner=opportunity.owner):
        raise NotAllowedError()
    if opportunity.is_open:
        raise InvalidStateError(_("商机本来就是进行中"))
    old_status = opportunity.status
    changes: dict[str, list[object]] = {"status": [old_status, Opportunity.Status.OPEN]}
    if old_status == Opportunity.Status.WON:
        won = _won_stage(opportunity.pipeline)
        before = opportunity.pipeline.stages.filter(position__lt=won.position).order_by("-position").first() or won
        changes["stage"] = [opportunity.stage.name, before.name]
        opportunity.stage = before
        _enter_stage(opportunity=opportunity, stage=before, by=by, now=now)
    opportunity.status, opportunity.closed_at, opportunity.lost_reason, opportunity.competitor = Opportunity.Status.OPEN, None, "", opportunity.competitor
    opportunity.save(update_fields=["status", "stage", "closed_at", "lost_reason", "updated_at"])
    history_record(subject=opportunity, actor=by, action=HistoryEntry.Action.REOPENED, at=now, changes=changes)
    return opportunity
