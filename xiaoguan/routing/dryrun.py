"""Dry-run: replay the last N days of leads through the rule set as it would be with a draft rule, before saving it.

The replay is a what-if, not a reconstruction of the past: it uses today's groups (active reps), today's caps, no
absences (past absences are not recorded), and starts each organisation day with nobody having received anything.
Leads are replayed in arrival order whatever became of them since. A lead a matched rule cannot place because its
whole group is at its daily cap counts as "over cap".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from xiaoguan.core.clock import org_tz
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import User
from xiaoguan.routing.engine import Decision, RepState, RoutingState, RuleSpec, decide
from xiaoguan.routing.models import RepCapacity, RoutingRule, default_daily_cap
from xiaoguan.routing.places import PlaceCache
from xiaoguan.routing.selectors import LEAD_FACT_FIELDS, lead_facts, region_names, rule_list_enabled, rule_specs

DRAFT_KEY = "draft"


@dataclass
class DryRunRule:
    rule_id: int | None
    name: str
    target: str
    is_draft: bool = False
    matched: int = 0
    assigned: int = 0
    over_cap: int = 0
    by_rep: Counter[str] = field(default_factory=Counter)

    @property
    def reps(self) -> list[tuple[str, int]]:
        return self.by_rep.most_common()


@dataclass
class DryRunReport:
    days: int
    since: datetime
    until: datetime
    leads: int
    rules: list[DryRunRule]
    unmatched: int
    draft: DryRunRule
    changed: int  # leads the draft sends to a different rule (or out of / into the fallback queue) than today's rules

    @property
    def summary(self) -> str:
        return _("此规则在过去 %(days)s 天会匹配 %(matched)s 条线索，分给「%(target)s」%(assigned)s 条，其中 %(over)s 条超出每日上限；"
                 "%(unmatched)s 条线索没有任何规则匹配。") % {
            "days": self.days, "matched": self.draft.matched, "target": self.draft.target, "assigned": self.draft.assigned,
            "over": self.draft.over_cap, "unmatched": self.unmatched,
        }


def _rule_set_with(rule: RoutingRule) -> list[RoutingRule]:
    """The enabled rules with the draft in its place: replacing its saved self, at its position (before the rules that
    share it), or last when it has none."""
    others = [r for r in rule_list_enabled() if r.pk != rule.pk or rule.pk is None]
    position = rule.position or (max((r.position for r in others), default=0) + 1)
    before = [r for r in others if r.position < position]
    after = [r for r in others if r.position >= position]
    return [*before, rule, *after]


def _replay(*, specs: list[RuleSpec], facts: list, days_of: list, caps: dict[int, int], names: dict[int, str]) -> list[Decision]:
    members = {pk for spec in specs for pk in spec.member_ids}
    state = RoutingState()
    current_day = None
    out = []
    for fact, day in zip(facts, days_of, strict=True):
        if day != current_day:
            current_day = day
            for pk in members:
                rep = state.reps.get(pk)
                if rep is None:
                    state.reps[pk] = RepState(id=pk, name=names.get(pk, str(pk)), cap=caps.get(pk, default_daily_cap()))
                else:
                    rep.today = 0
        decision = decide(lead=fact, rules=specs, state=state)
        state.take(decision)
        out.append(decision)
    return out


def rule_dry_run(*, rule: RoutingRule, now: datetime, days: int = 30) -> DryRunReport:
    """What the rule set with `rule` (a saved rule being edited, or an unsaved draft) would have done with the leads
    of the last `days` days: per rule and rep, how many over the daily caps, how many matched no rule."""
    until = now
    since = now - timedelta(days=days)
    with_draft = _rule_set_with(rule)
    specs = rule_specs(rules=with_draft)
    baseline_specs = rule_specs(rules=list(rule_list_enabled()))
    draft_index = with_draft.index(rule)
    rows = list(Lead.objects.filter(created_at__gte=since, created_at__lt=until).order_by("created_at", "pk").values(*LEAD_FACT_FIELDS, "created_at"))
    places, regions = PlaceCache(), region_names()
    facts = [lead_facts(row=row, places=places, regions=regions) for row in rows]
    tz = org_tz()
    days_of = [row["created_at"].astimezone(tz).date() for row in rows]
    members = {pk for spec in [*specs, *baseline_specs] for pk in spec.member_ids}
    names = dict(User.objects.filter(pk__in=members).values_list("pk", "name"))
    default_cap = default_daily_cap()
    own_caps = dict(RepCapacity.objects.filter(user_id__in=members, daily_cap__isnull=False).values_list("user_id", "daily_cap"))
    caps: dict[int, int] = {}
    for pk in members:
        own = own_caps.get(pk)
        caps[pk] = own if own is not None else default_cap

    decisions = _replay(specs=specs, facts=facts, days_of=days_of, caps=caps, names=names)
    baseline = _replay(specs=baseline_specs, facts=facts, days_of=days_of, caps=caps, names=names)

    lines = [DryRunRule(rule_id=s.id, name=s.name, target=s.target_label, is_draft=i == draft_index) for i, s in enumerate(specs)]
    by_spec = {id(s): line for s, line in zip(specs, lines, strict=True)}
    unmatched = 0
    changed = 0
    for decision, before in zip(decisions, baseline, strict=True):
        is_draft = decision.rule is specs[draft_index]
        rule_key = DRAFT_KEY if is_draft else (decision.rule.id if decision.rule else None)
        before_key = before.rule.id if before.rule else None
        if rule_key != before_key or (decision.rep_id is None) != (before.rep_id is None):
            changed += 1
        if decision.rule is None:
            unmatched += 1
            continue
        line = by_spec[id(decision.rule)]
        line.matched += 1
        if decision.rep_id is None:
            line.over_cap += 1
        else:
            line.assigned += 1
            line.by_rep[names.get(decision.rep_id, str(decision.rep_id))] += 1
    return DryRunReport(
        days=days, since=since, until=until, leads=len(rows), rules=lines, unmatched=unmatched, draft=lines[draft_index], changed=changed,
    )
