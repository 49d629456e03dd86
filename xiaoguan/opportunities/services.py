"""Writes on opportunities: create, move through stages (past their gates), close won/lost, reopen; stage approvals
and the admin's stage gates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.automation.followup import follow_up_reminder_arm
from xiaoguan.automation.services import notify
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_record, history_update
from xiaoguan.core.models import HistoryEntry
from xiaoguan.customers.models import Account
from xiaoguan.opportunities.gates import (
    REQUIRED_FIELDS,
    Missing,
    action_choices,
    gate_missing,
    gate_spec,
    gates_need_approval,
    missing_sentence,
    stages_crossed,
)
from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage, StageGate, StageHistory, StageMoveRequest
from xiaoguan.org.models import Role, User
from xiaoguan.org.visibility import can_change

# Who may let a deal past missing evidence, and approve a move: the people who answer for the deal's region.
OVERRIDE_ROLES = frozenset({Role.MANAGER.value, Role.DIRECTOR.value, Role.ADMIN.value})
OVERRIDE_REASON_MIN = 4


class StageEvidenceMissingError(ValidationFailedError):
    """A forward move refused: the stages it leaves have unmet exit criteria, listed in `missing`."""

    code = "stage_evidence_missing"

    def __init__(self, missing: list[Missing]) -> None:
        super().__init__(missing_sentence(missing), field_errors={"stage": [f"{m.stage}：{m.label}" for m in missing]})
        self.missing = missing


class StageApprovalRequiredError(InvalidStateError):
    """The move needs a manager's approval first (`stage_move_request`)."""

    code = "stage_approval_required"
    default_message = gettext_lazy("该阶段推进需要经理审批，请提交审批申请")


def can_override(user: User, opportunity: Opportunity) -> bool:
    return user.is_active and user.role in OVERRIDE_ROLES and user.pk != opportunity.owner_id and can_change(user=user, owner=opportunity.owner)


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


OPPORTUNITY_EDITABLE = frozenset({"name", "product_line", "amount", "expected_close", "next_follow_up_at", "core_need", "blocker"})


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
def opportunity_move_stage(
    *,
    opportunity: Opportunity,
    stage: Stage,
    by: User,
    now: datetime,
    override_reason: str = "",
    enforce_gates: bool = True,
    approved_by: User | None = None,
) -> Opportunity:
    """Move an open deal to another stage of its pipeline. Reaching the won stage (or beyond) wins it.

    A forward move must meet the exit criteria of every stage it leaves (opportunities/gates.py); otherwise it is
    refused with the list of what is missing, unless a manager of the deal gives a reason to override, which stage
    history keeps. A gate that asks for approval needs a manager as the mover or the approver. Moving back is free.
    `enforce_gates=False` is for recorded history only (test worlds, scripted migrations), like an import.
    """
    if not can_change(user=by, owner=opportunity.owner):
        raise NotAllowedError()
    if stage.pipeline_id != opportunity.pipeline_id:
        raise ValidationFailedError(_("该阶段不属于这个商机的销售流程"))
    if not opportunity.is_open:
        raise InvalidStateError(_("商机已关闭，请先重新打开"))
    if stage.pk == opportunity.stage_id:
        return opportunity
    override_reason = override_reason.strip()
    missing: list[Missing] = []
    if enforce_gates:
        crossed = stages_crossed(opportunity=opportunity, to_stage=stage)
        missing = gate_missing(opportunity=opportunity, stages=crossed, now=now)
        manager_move = can_override(by, opportunity)
        if missing:
            if not override_reason:
                raise StageEvidenceMissingError(missing)
            if not manager_move:
                raise NotAllowedError(_("只有该商机的上级经理可以越过证据要求推进阶段"))
            if len(override_reason) < OVERRIDE_REASON_MIN:
                raise ValidationFailedError(field_errors={"override_reason": [_("请写明越过证据要求的理由")]})
        if gates_need_approval(crossed) and not manager_move and approved_by is None:
            raise StageApprovalRequiredError()
    old = opportunity.stage
    opportunity.stage = stage
    changes: dict[str, list[object]] = {"stage": [old.name, stage.name]}
    if stage.position >= _won_stage(opportunity.pipeline).position:
        opportunity.status, opportunity.closed_at = Opportunity.Status.WON, now
        changes["status"] = [Opportunity.Status.OPEN, Opportunity.Status.WON]
    opportunity.save(update_fields=["stage", "status", "closed_at", "updated_at"])
    StageHistory.objects.create(
        opportunity=opportunity, stage=stage, entered_at=now, changed_by=by, approved_by=approved_by,
        override_reason=override_reason[:300] if missing else "", missing=[m.as_dict() for m in missing],
    )
    note = ""
    if missing:
        changes["override"] = [[m.label for m in missing], override_reason]
        note = _("越过证据要求：%(reason)s") % {"reason": override_reason}
    elif approved_by is not None:
        note = _("经 %(manager)s 审批") % {"manager": approved_by.name}
    history_record(subject=opportunity, actor=by, action=HistoryEntry.Action.STAGE, at=now, changes=changes, note=note)
    return opportunity


@transaction.atomic
def opportunity_close_won(*, opportunity: Opportunity, by: User, now: datetime, override_reason: str = "") -> Opportunity:
    """Win the deal: it enters the pipeline's won stage (contract signed), past the same gates as any move."""
    if not opportunity.is_open:
        raise InvalidStateError(_("商机已关闭"))
    return opportunity_move_stage(opportunity=opportunity, stage=_won_stage(opportunity.pipeline), by=by, now=now, override_reason=override_reason)


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


# ------------------------------------------------------------------------------------------------ stage approvals


def _approver(opportunity: Opportunity) -> User | None:
    """The owner's nearest active manager: the person a stage approval goes to."""
    boss = opportunity.owner.manager
    while boss is not None and not boss.is_active:
        boss = boss.manager
    return boss


@transaction.atomic
def stage_move_request(*, opportunity: Opportunity, stage: Stage, by: User, now: datetime) -> StageMoveRequest:
    """Ask the manager to approve a move whose gate needs approval. The evidence must be there already."""
    if not can_change(user=by, owner=opportunity.owner):
        raise NotAllowedError()
    if not opportunity.is_open or stage.pipeline_id != opportunity.pipeline_id or stage.position <= opportunity.stage.position:
        raise InvalidStateError(_("只有向前推进进行中的商机才需要审批"))
    crossed = stages_crossed(opportunity=opportunity, to_stage=stage)
    missing = gate_missing(opportunity=opportunity, stages=crossed, now=now)
    if missing:
        raise StageEvidenceMissingError(missing)
    if StageMoveRequest.objects.filter(opportunity=opportunity, status=StageMoveRequest.Status.PENDING).exists():
        raise InvalidStateError(_("该商机已有待审批的阶段推进"))
    request = StageMoveRequest.objects.create(opportunity=opportunity, from_stage=opportunity.stage, to_stage=stage, requested_by=by, requested_at=now)
    approver = _approver(opportunity)
    if approver is not None:
        notify(
            recipient=approver, kind="stage_approval", now=now, dedupe_key=f"stage-approval:{request.pk}",
            title=_("阶段推进待审批：%(deal)s") % {"deal": opportunity},
            body=_("%(rep)s 申请从“%(old)s”推进到“%(new)s”。") % {"rep": by.name, "old": opportunity.stage.name, "new": stage.name},
            link=f"/deals/{opportunity.external_id}/", subject_kind="opportunity", subject_id=opportunity.pk,
        )
    history_record(subject=opportunity, actor=by, action=HistoryEntry.Action.UPDATED, at=now, note=_("申请推进到“%(stage)s”，待审批") % {"stage": stage.name})
    return request


@transaction.atomic
def stage_move_decide(*, request: StageMoveRequest, by: User, now: datetime, approve: bool, note: str = "") -> StageMoveRequest:
    """A manager approves (the deal moves, the approver in its stage history) or rejects with a note."""
    opportunity = request.opportunity
    if request.status != StageMoveRequest.Status.PENDING:
        raise InvalidStateError(_("该申请已处理"))
    if not can_override(by, opportunity):
        raise NotAllowedError(_("只有该商机的上级经理可以审批"))
    note = note.strip()
    if not approve and not note:
        raise ValidationFailedError(field_errors={"note": [_("驳回时请写明原因")]})
    if approve:
        opportunity_move_stage(opportunity=opportunity, stage=request.to_stage, by=request.requested_by, now=now, approved_by=by)
    request.status = StageMoveRequest.Status.APPROVED if approve else StageMoveRequest.Status.REJECTED
    request.decided_by, request.decided_at, request.note = by, now, note[:300]
    request.save(update_fields=["status", "decided_by", "decided_at", "note"])
    verdict = _("已批准") if approve else _("已驳回")
    notify(
        recipient=request.requested_by, kind="stage_approval", now=now, dedupe_key=f"stage-approval-decided:{request.pk}",
        title=_("阶段推进%(verdict)s：%(deal)s") % {"verdict": verdict, "deal": opportunity},
        body=note, link=f"/deals/{opportunity.external_id}/", subject_kind="opportunity", subject_id=opportunity.pk,
    )
    return request


# ------------------------------------------------------------------------------------------------- stage gates


def can_edit_gates(user: User) -> bool:
    return user.is_active and (user.role in (Role.DIRECTOR, Role.ADMIN) or user.is_superuser)


@transaction.atomic
def stage_gate_update(
    *, stage: Stage, by: User, now: datetime, required_actions: list[str], required_fields: list[str], needs_approval: bool
) -> StageGate:
    """Set a stage's exit criteria. Each change bumps the version and is kept in the pipeline's change history."""
    if not can_edit_gates(by):
        raise NotAllowedError()
    known_actions = {code for code, _label in action_choices()}
    actions = [code for code in dict.fromkeys(a.strip() for a in required_actions) if code]
    unknown = [code for code in actions if any(part not in known_actions for part in code.split("|"))]
    bad_fields = [f for f in required_fields if f not in REQUIRED_FIELDS]
    if unknown or bad_fields:
        raise ValidationFailedError(field_errors={"required_actions": [_("不认识的证据动作或字段：%(codes)s") % {"codes": "、".join(unknown + bad_fields)}]})
    before = gate_spec(stage)
    fields = list(dict.fromkeys(required_fields))
    gate, created = StageGate.objects.get_or_create(
        stage=stage, defaults={"required_actions": actions, "required_fields": fields, "needs_approval": needs_approval, "updated_at": now, "updated_by": by}
    )
    if not created:
        if (gate.required_actions, gate.required_fields, gate.needs_approval) == (actions, fields, needs_approval):
            return gate
        gate.required_actions, gate.required_fields, gate.needs_approval = actions, fields, needs_approval
        gate.version, gate.updated_at, gate.updated_by = gate.version + 1, now, by
        gate.save()
    history_record(
        subject=stage.pipeline, actor=by, action=HistoryEntry.Action.UPDATED, at=now,
        changes={
            f"{stage.key}.required_actions": [list(before.required_actions), actions],
            f"{stage.key}.required_fields": [list(before.required_fields), fields],
            f"{stage.key}.needs_approval": [before.needs_approval, needs_approval],
        },
        note=_("阶段“%(stage)s”准出条件 v%(version)s") % {"stage": stage.name, "version": gate.version},
    )
    return gate
