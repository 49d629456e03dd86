"""The target-fit report as one viewer may read it: the stored figures cut to the people they may see, joined with the
proposals as managers adjusted them and the targets as they stand now. The page and the PDF both render this.

A team's figures show only when the viewer sees every rep of it (a manager of one team does not see their region's
total); a region's deal model only for regions whose reps the viewer sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from xiaoguan.core.models import HistoryEntry
from xiaoguan.insights.calibration import (
    AMBER_AT,
    DEAL_MODEL_MONTHS,
    GREEN_AT,
    WINDOW_MONTHS,
    band,
    probability_from_quantiles,
)
from xiaoguan.org.models import User
from xiaoguan.org.visibility import can_change
from xiaoguan.targets.models import TargetFitReport, TargetProposal
from xiaoguan.targets.selectors import target_adjustments, target_amounts, target_proposals_visible_to
from xiaoguan.targets.services import MANAGING_ROLES, adjust_bounds

MEASURES = ("imposed", "proposed", "amount")  # which probability colours the heatmap


@dataclass
class RepRow:
    user_pk: int
    name: str
    external_id: str
    region: str
    region_pk: int | None
    figures: dict[str, Any]  # the stored per-rep figures (reach, conversion, deal size, mix, reasons …)
    proposal: TargetProposal | None
    proposed: float
    amount: float  # as adjusted (= proposed until a manager changes it)
    imposed: float | None  # the target as it stands now
    imposed_changed: bool  # differs from the one the report was computed with: its probability is read off quantiles
    won_so_far: float
    p_proposed: float | None
    p_imposed: float | None
    p_amount: float | None
    can_adjust: bool
    low: Decimal | None
    high: Decimal | None

    def p(self, measure: str) -> float | None:
        return {"imposed": self.p_imposed, "proposed": self.p_proposed, "amount": self.p_amount}[measure]

    @property
    def bands(self) -> dict[str, str]:
        return {m: band(self.p(m)) for m in MEASURES}

    @property
    def conversion_text(self) -> str:
        value = self.figures.get("conversion")
        return "—" if value is None else f"{value:.1%}"


@dataclass
class GroupRow:
    team_pk: int
    name: str
    kind: str
    depth: int
    reps: int
    proposed: float
    amount: float
    imposed: float | None
    imposed_source: str
    won_so_far: float
    p_proposed: float | None
    p_imposed: float | None
    p_amount: float | None

    def p(self, measure: str) -> float | None:
        return {"imposed": self.p_imposed, "proposed": self.p_proposed, "amount": self.p_amount}[measure]

    @property
    def bands(self) -> dict[str, str]:
        return {m: band(self.p(m)) for m in MEASURES}


@dataclass
class HeatRow:
    """One region of the heatmap: its reps' cells (and the region's own when the viewer sees all of it)."""

    region: str
    group: GroupRow | None
    cells: list[RepRow]


@dataclass
class Adjustment:
    at: datetime
    actor: str
    rep: str
    old: str | None
    new: str | None
    reason: str
    accepted: bool


@dataclass
class FitView:
    report: TargetFitReport
    figures: dict[str, Any]
    reps: list[RepRow]
    groups: list[GroupRow]
    heat: list[HeatRow]
    deal_model: list[dict[str, Any]]
    adjustments: list[Adjustment]
    thresholds: dict[str, float] = field(default_factory=lambda: {"green": GREEN_AT, "amber": AMBER_AT})
    window_months: int = WINDOW_MONTHS
    deal_model_months: int = DEAL_MODEL_MONTHS

    @property
    def simulated(self) -> bool:
        return bool(self.figures.get("simulated"))

    @property
    def note(self) -> str:
        return str(self.figures.get("note") or "")

    @property
    def totals(self) -> dict[str, float | None]:
        imposed = [r.imposed for r in self.reps if r.imposed is not None]
        return {
            "proposed": sum(r.proposed for r in self.reps),
            "amount": sum(r.amount for r in self.reps),
            "imposed": sum(imposed) if imposed else None,
            "won_so_far": sum(r.won_so_far for r in self.reps),
        }

    def band_counts(self, measure: str) -> dict[str, int]:
        counts = {"green": 0, "amber": 0, "red": 0, "": 0}
        for rep in self.reps:
            counts[band(rep.p(measure))] += 1
        return counts


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def target_fit_view(*, report: TargetFitReport, user: User, owner_ids: Iterable[int]) -> FitView:
    """The report for `user`, cut to `owner_ids` (the cockpit filter's people, already within what the user may see)."""
    figures = report.figures
    allowed = set(owner_ids)
    proposals = {p.user_id: p for p in target_proposals_visible_to(user=user, report=report).filter(user_id__in=allowed)}
    now_targets = target_amounts(period=report.period)
    may_adjust = user.role in MANAGING_ROLES

    reps: list[RepRow] = []
    for rep in figures.get("reps", []):
        pk = rep["user_pk"]
        if pk not in allowed or pk not in proposals:
            continue
        proposal = proposals[pk]
        quantiles = rep.get("quantiles")
        then, now = _num(rep.get("imposed")), _num(now_targets.users.get(pk))
        changed = then != now
        p_imposed = probability_from_quantiles(quantiles, now) if changed else _num(rep.get("p_imposed"))
        amount = float(proposal.amount)
        low, high = adjust_bounds(proposal.proposed)
        reps.append(RepRow(
            user_pk=pk, name=rep["name"], external_id=rep["external_id"], region=rep.get("region") or "", region_pk=rep.get("region_pk"),
            figures=rep, proposal=proposal, proposed=float(proposal.proposed), amount=amount, imposed=now, imposed_changed=changed,
            won_so_far=float(rep.get("won_so_far") or 0.0), p_proposed=_num(rep.get("p_proposed")), p_imposed=p_imposed,
            p_amount=_num(rep.get("p_proposed")) if amount == float(proposal.proposed) else probability_from_quantiles(quantiles, amount),
            can_adjust=may_adjust and pk != user.pk and can_change(user=user, owner=proposal.user), low=low, high=high,
        ))  # fmt: skip
    by_pk = {r.user_pk: r for r in reps}

    groups: list[GroupRow] = []
    for group in figures.get("groups", []):
        members = group["rep_pks"]
        if not members or any(pk not in by_pk for pk in members):
            continue  # a team is shown only to someone who sees all of it
        rows = [by_pk[pk] for pk in members]
        quantiles = group.get("quantiles")
        team_target = _num(now_targets.teams.get(group["team_pk"]))
        rep_targets = [r.imposed for r in rows if r.imposed is not None]
        imposed = team_target if team_target is not None else (sum(rep_targets) if rep_targets else None)
        source = "team" if team_target is not None else ("reps" if rep_targets else "")
        amount = sum(r.amount for r in rows)
        then = _num(group.get("imposed"))
        groups.append(GroupRow(
            team_pk=group["team_pk"], name=group["name"], kind=group["kind"], depth=group["depth"], reps=len(rows),
            proposed=float(group["proposed"]), amount=amount, imposed=imposed, imposed_source=source,
            won_so_far=float(group.get("won_so_far") or 0.0), p_proposed=_num(group.get("p_proposed")),
            p_imposed=_num(group.get("p_imposed")) if imposed == then else probability_from_quantiles(quantiles, imposed),
            p_amount=_num(group.get("p_proposed")) if abs(amount - float(group["proposed"])) < 0.005 else probability_from_quantiles(quantiles, amount),
        ))  # fmt: skip

    region_group = {g.team_pk: g for g in groups if g.kind == "region"}
    heat: dict[int | None, HeatRow] = {}
    for rep_row in reps:
        row = heat.setdefault(
            rep_row.region_pk, HeatRow(region=rep_row.region, group=region_group.get(rep_row.region_pk or 0), cells=[])
        )
        row.cells.append(rep_row)
    regions_seen = {r.region_pk for r in reps}
    deal_model = [c for c in figures.get("deal_model", []) if c.get("region_pk") in regions_seen]

    names = {r.user_pk: r.name for r in reps}
    proposal_rep = {p.pk: names.get(p.user_id, "") for p in proposals.values()}
    adjustments = []
    for entry in target_adjustments(proposals=TargetProposal.objects.filter(pk__in=list(proposal_rep)))[:200]:
        old, new = entry.changes.get("amount", entry.changes.get("accepted", [None, None]))
        adjustments.append(Adjustment(
            at=entry.at, actor=entry.actor.name if entry.actor else "", rep=proposal_rep.get(entry.object_id, ""), old=old, new=new,
            reason=entry.note, accepted="accepted" in entry.changes and entry.action == HistoryEntry.Action.UPDATED,
        ))  # fmt: skip
    return FitView(
        report=report, figures=figures, reps=reps, groups=groups, heat=list(heat.values()), deal_model=deal_model,
        adjustments=adjustments,
    )  # fmt: skip
