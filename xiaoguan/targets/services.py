"""Writes of the targets app: the monthly target-fit report, managers' adjustments of its proposals, and accepting them.

The figures come from insights/calibration.py (read-only); here they are kept (a snapshot row per month), adjusted
within ±15 % with a reason (audited in the change history) and written into the Target rows of the period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from xiaoguan.automation.services import NotificationDraft, notify_many
from xiaoguan.core.clock import org_tz
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_record
from xiaoguan.core.models import HistoryEntry
from xiaoguan.insights import calibration
from xiaoguan.insights.calibration import ADJUST_LIMIT, TargetFit, band, money_text
from xiaoguan.org.models import Role, User
from xiaoguan.org.visibility import can_change
from xiaoguan.targets.models import Target, TargetFitReport, TargetProposal
from xiaoguan.targets.periods import target_period_containing
from xiaoguan.targets.selectors import target_fit_report_get, target_grain, target_proposals_visible_to

MANAGING_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
CENT = Decimal("0.01")


def month_of(now: datetime) -> str:
    return now.astimezone(org_tz()).strftime("%Y-%m")


def adjust_bounds(proposed: Decimal) -> tuple[Decimal, Decimal]:
    """The amounts a manager may set: within ±15 % of the model's proposal, to the cent (inclusive)."""
    limit = Decimal(str(ADJUST_LIMIT))
    low = (proposed * (1 - limit)).quantize(CENT, rounding=ROUND_CEILING)
    high = (proposed * (1 + limit)).quantize(CENT, rounding=ROUND_FLOOR)
    return low, high


def target_fit_report_build(
    *, now: datetime, month: str | None = None, by: User | None = None, simulate: calibration.Simulator | None = None
) -> tuple[TargetFitReport, bool]:
    """Build the month's report once (about the target period holding the month's first day), keep its figures and a
    proposal row per rep, and tell the managers. Returns (report, created); a month that has one returns it untouched.

    The computation reads for seconds, so it runs before the (short) writing transaction: never call this inside a
    long-lived transaction (the periodic job queues a task that calls it).
    """
    month = month or month_of(now)
    existing = target_fit_report_get(month=month)
    if existing is not None:
        return existing, False
    first_day = datetime.strptime(f"{month}-01", "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar day, no instant
    period = target_period_containing(first_day, grain=target_grain())
    fit = calibration.target_fit_compute(period=period, as_of=now, simulate=simulate or calibration.forecast_simulator)
    try:
        with transaction.atomic():
            report = TargetFitReport.objects.create(
                month=month, period=period.code, as_of=now, created_at=now, created_by=by, figures=fit.as_json()
            )
            TargetProposal.objects.bulk_create(
                TargetProposal(report=report, user_id=rep.user_pk, proposed=Decimal(str(rep.proposed)), amount=Decimal(str(rep.proposed)))
                for rep in fit.reps
            )
            _notify_managers(report=report, fit=fit, now=now)
    except IntegrityError:  # another worker built it meanwhile: theirs stands
        return TargetFitReport.objects.get(month=month), False
    return report, True


def _notify_managers(*, report: TargetFitReport, fit: TargetFit, now: datetime) -> None:
    """Each manager hears of their own subtree (their team's figures), the director of the whole company."""
    groups = {g.team_pk: g for g in fit.groups}
    company = next((g for g in fit.groups if g.depth == 0), None)
    reps = {r.user_pk: r for r in fit.reps}
    link = reverse("web:target_fit") + f"?month={report.month}"
    drafts = []
    for person in User.objects.filter(role__in=[Role.MANAGER, Role.DIRECTOR], is_active=True).select_related("team"):
        group = company if person.role == Role.DIRECTOR else groups.get(person.team_id or 0)
        if group is None:
            continue
        bands = Counter(band(reps[pk].p_imposed) for pk in group.rep_pks)
        if fit.simulated:
            counts = _("下达目标完成概率：红 %(red)s 人、黄 %(amber)s 人、绿 %(green)s 人。") % {
                "red": bands["red"], "amber": bands["amber"], "green": bands["green"]
            }
        else:
            counts = fit.note
        body = _("%(team)s %(n)s 名销售：建议目标合计 %(proposed)s，下达目标合计 %(imposed)s。") % {
            "team": group.name, "n": len(group.rep_pks), "proposed": _wan(group.proposed),
            "imposed": _wan(group.imposed) if group.imposed is not None else _("未下达"),
        } + counts + _("可在 ±15% 内调整建议并采纳。")  # fmt: skip
        drafts.append(NotificationDraft(
            recipient=person, kind="target_fit_report", dedupe_key=f"target-fit:{report.month}:{person.pk}",
            title=_("%(month)s 目标适配度报告（%(period)s）已生成") % {"month": report.month, "period": report.period},
            body=body, link=link,
        ))  # fmt: skip
    notify_many(drafts=drafts, now=now)


def _wan(value: float | None) -> str:
    if value is None:
        return "—"
    return money_text(value)


def _report_is_current(report: TargetFitReport) -> None:
    if TargetFitReport.objects.filter(period=report.period, month__gt=report.month).exists():
        raise InvalidStateError(_("这份报告已有更新的版本，请在最新一期报告中调整"))


@transaction.atomic
def target_proposal_adjust(*, proposal: TargetProposal, amount: Decimal, reason: str, by: User, now: datetime) -> TargetProposal:
    """A manager moves a rep's proposed target within ±15 % of the model's figure, saying why. Audited: who, when,
    from, to and why are a change-history entry of the proposal."""
    if by.role not in MANAGING_ROLES or by.pk == proposal.user_id or not can_change(user=by, owner=proposal.user):
        raise NotAllowedError(_("只能调整你所管理团队成员的目标"))
    _report_is_current(proposal.report)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("请填写调整理由")]
    low, high = adjust_bounds(proposal.proposed)
    if not amount.is_finite() or amount < low or amount > high:
        errors["amount"] = [
            _("调整后的目标须在建议值 %(proposed)s 的 ±15%% 以内：%(low)s 至 %(high)s")
            % {"proposed": f"{proposal.proposed:,.0f}", "low": f"{low:,.2f}", "high": f"{high:,.2f}"}
        ]
    if errors:
        raise ValidationFailedError(" ".join(m for ms in errors.values() for m in ms), field_errors=errors)
    old = proposal.amount
    proposal.amount = amount.quantize(CENT)
    proposal.reason = reason[:300]
    proposal.adjusted_by, proposal.adjusted_at = by, now
    proposal.save(update_fields=["amount", "reason", "adjusted_by", "adjusted_at"])
    history_record(
        subject=proposal, actor=by, action=HistoryEntry.Action.UPDATED, at=now,
        changes={"amount": [str(old.quantize(CENT)), str(proposal.amount)]}, note=reason,
    )  # fmt: skip
    return proposal


@transaction.atomic
def target_proposals_accept(
    *, report: TargetFitReport, by: User, now: datetime, user_pks: Sequence[int] | None = None
) -> list[Target]:
    """Write the (adjusted) proposals the manager may see into the Target rows of the report's period: one user-scope
    row per rep (created, or its amount updated), all or nothing. Each change is in the target's and the proposal's
    history."""
    if by.role not in MANAGING_ROLES:
        raise NotAllowedError(_("只有经理和总监可以采纳目标建议"))
    _report_is_current(report)
    proposals = target_proposals_visible_to(user=by, report=report).exclude(user=by)
    if user_pks is not None:
        proposals = proposals.filter(user_id__in=list(user_pks))
    chosen = list(proposals.select_for_update(of=("self",)))
    if not chosen:
        raise ValidationFailedError(_("没有可采纳的目标建议"))
    existing = {
        t.user_id: t
        for t in Target.objects.select_for_update().filter(
            period=report.period, scope_kind=Target.ScopeKind.USER, product_line="", user_id__in=[p.user_id for p in chosen]
        )
    }  # fmt: skip
    note = _("采纳 %(month)s 目标适配度报告的建议") % {"month": report.month}
    written = []
    for proposal in chosen:
        amount = proposal.amount.quantize(CENT)
        target = existing.get(proposal.user_id)
        if target is None:
            key = Target.key_for(period=report.period, scope_kind=Target.ScopeKind.USER, scope_id=proposal.user.external_id, product_line="")
            target = Target.objects.create(external_id=key, period=report.period, scope_kind=Target.ScopeKind.USER, user=proposal.user, amount=amount)
            history_record(subject=target, actor=by, action=HistoryEntry.Action.CREATED, at=now, changes={"amount": [None, str(amount)]}, note=note)
        elif target.amount != amount:
            old = str(target.amount.quantize(CENT))
            target.amount = amount
            target.save(update_fields=["amount"])
            history_record(subject=target, actor=by, action=HistoryEntry.Action.UPDATED, at=now, changes={"amount": [old, str(amount)]}, note=note)
        proposal.accepted_by, proposal.accepted_at = by, now
        proposal.save(update_fields=["accepted_by", "accepted_at"])
        history_record(subject=proposal, actor=by, action=HistoryEntry.Action.UPDATED, at=now, changes={"accepted": [None, str(amount)]}, note=note)
        written.append(target)
    return written
