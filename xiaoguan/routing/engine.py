"""The routing decision, pure: plain data in, a decision with its reasons out. No database, no clock.

Services (routing/services.py) load the rules, the reps' state and the lead's facts, call `decide`, write the result;
the dry-run and the bulk router call the same function in a loop over in-memory state, so all three agree.

Rule conditions (`RoutingRule.conditions`, JSON). Every key is optional; an empty list or a missing key means "any":

    regions        [team id, ...]        org.Team of kind region; the lead's region, else the region of its city
    provinces      ["江苏", ...]          the province of the lead's city (bundled city table, xiaoguan.geo)
    cities         ["苏州", ...]          the lead's city ("苏州市" and "苏州" are the same city)
    industries     ["制造业", ...]        Lead.industry, exact text
    company_sizes  ["50-199", ...]       Lead.company_size (the values of customers.Account.Size)
    budget_min     "100000" | null       Lead.budget >= budget_min (a lead without a budget does not match)
    budget_max     "500000" | null       Lead.budget <= budget_max
    sources        ["web_form", ...]     Lead.source
    decision_chain "complete" | "incomplete" | ""      see `decision_chain_complete`
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language, gettext

from xiaoguan.core.normalize import phone_key
from xiaoguan.leads.models import Lead

ROUND_ROBIN = "round_robin"
LEAST_LOADED = "least_loaded"
CHAIN_COMPLETE = "complete"
CHAIN_INCOMPLETE = "incomplete"
SOURCE_LABELS: dict[str, Any] = dict(Lead.Source.choices)
LIST_KEYS = ("regions", "provinces", "cities", "industries", "company_sizes", "sources")


_translated: dict[tuple[str | None, str], str] = {}
_pinned_language: list[str | None] = []  # set by decide_all for the length of a batch


def _(message: str) -> str:
    """gettext, remembered per language: bulk routing writes the same few phrases 20,000 times."""
    key = (_pinned_language[-1] if _pinned_language else get_language(), message)
    found = _translated.get(key)
    if found is None:
        found = _translated[key] = gettext(message)
    return found


def decision_chain_complete(*, name: str, phone: str, company: str, budget: Decimal | None) -> bool:
    """A lead whose decision chain is complete (决策链完整) names a person, reaches them on a usable mainland phone
    number, names the company, and states a budget above zero: a rep can call the right person about real money."""
    return chain_complete(name=name, phone_key=phone_key(phone), company=company, budget=budget)


def chain_complete(*, name: str, phone_key: str, company: str, budget: Decimal | None) -> bool:
    """`decision_chain_complete` on a stored lead, whose phone is already normalised (Lead.phone_key)."""
    return bool(name.strip() and phone_key and company.strip() and budget is not None and budget > 0)


def city_key(text: str) -> str:
    """"苏州市 " and "苏州" are the same city for a condition."""
    text = text.strip()
    return text[:-1] if len(text) > 2 and text.endswith("市") else text


_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def province_key(text: str) -> str:
    """"江苏省" and "江苏", "广西壮族自治区" and "广西" are the same province for a condition."""
    text = text.strip()
    for suffix in _PROVINCE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def _money(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class Conditions:
    regions: frozenset[int] = frozenset()
    provinces: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    company_sizes: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    decision_chain: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Conditions:
        """The stored JSON as conditions. Unknown keys and malformed values are ignored (the services validate on save)."""
        data = data or {}

        def texts(key: str) -> frozenset[str]:
            return frozenset(str(v).strip() for v in data.get(key) or [] if str(v).strip())

        regions: set[int] = set()
        for value in data.get("regions") or []:
            try:
                regions.add(int(value))
            except (TypeError, ValueError):
                continue
        chain = data.get("decision_chain") or ""
        return cls(
            regions=frozenset(regions), provinces=frozenset(province_key(p) for p in texts("provinces")), cities=frozenset(city_key(c) for c in texts("cities")),
            industries=texts("industries"), company_sizes=texts("company_sizes"), sources=texts("sources"),
            budget_min=_decimal(data.get("budget_min")), budget_max=_decimal(data.get("budget_max")),
            decision_chain=chain if chain in (CHAIN_COMPLETE, CHAIN_INCOMPLETE) else "",
        )

    def to_json(self) -> dict[str, Any]:
        """Sorted, minimal JSON: only the keys that restrict something (so equal rules store equal JSON)."""
        out: dict[str, Any] = {}
        if self.regions:
            out["regions"] = sorted(self.regions)
        for key in ("provinces", "cities", "industries", "company_sizes", "sources"):
            values = getattr(self, key)
            if values:
                out[key] = sorted(values)
        if self.budget_min is not None:
            out["budget_min"] = str(self.budget_min)
        if self.budget_max is not None:
            out["budget_max"] = str(self.budget_max)
        if self.decision_chain:
            out["decision_chain"] = self.decision_chain
        return out

    @property
    def is_catch_all(self) -> bool:
        return not self.to_json()


@dataclass(frozen=True)
class LeadFacts:
    """What routing knows about a lead. `region_via_city` says the region came from the city table."""

    id: int | None
    source: str = ""
    industry: str = ""
    company_size: str = ""
    budget: Decimal | None = None
    city: str = ""
    province: str = ""
    region_id: int | None = None
    region_name: str = ""
    region_via_city: bool = False
    chain_complete: bool = False


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the engine sees it: its conditions and its group, members ordered by id (the round-robin order)."""

    id: int | None
    name: str
    version: int
    conditions: Conditions
    strategy: str
    member_ids: tuple[int, ...]
    target_label: str
    target_team_id: int | None = None


@dataclass
class RepState:
    id: int
    name: str
    active: bool = True
    absent: bool = False
    cap: int = 15
    today: int = 0
    open: int = 0


@dataclass
class RoutingState:
    """The reps' counts and the cursors, mutated as decisions are taken (bulk routing, dry-run)."""

    reps: dict[int, RepState] = field(default_factory=dict)
    last_rep: dict[int | None, int | None] = field(default_factory=dict)

    def take(self, decision: Decision) -> None:
        if decision.rep_id is None:
            return
        rep = self.reps[decision.rep_id]
        rep.today += 1
        rep.open += 1
        if decision.rule is not None:
            self.last_rep[decision.rule.id] = decision.rep_id


@dataclass(frozen=True)
class Decision:
    rep_id: int | None
    rule: RuleSpec | None
    reason: str
    details: dict[str, Any]

    @property
    def over_cap(self) -> bool:
        """A rule matched but nobody in its group could take the lead."""
        return self.rule is not None and self.rep_id is None


def rule_matches(*, conditions: Conditions, lead: LeadFacts) -> bool:
    """Whether every condition holds (the fast test; `rule_explain` words the winner's)."""
    c = conditions
    if c.regions and lead.region_id not in c.regions:
        return False
    if c.provinces and lead.province not in c.provinces:
        return False
    if c.cities and city_key(lead.city) not in c.cities:
        return False
    if c.industries and lead.industry not in c.industries:
        return False
    if c.company_sizes and lead.company_size not in c.company_sizes:
        return False
    if c.budget_min is not None or c.budget_max is not None:
        if lead.budget is None:
            return False
        if c.budget_min is not None and lead.budget < c.budget_min:
            return False
        if c.budget_max is not None and lead.budget > c.budget_max:
            return False
    if c.sources and lead.source not in c.sources:
        return False
    return not (c.decision_chain and lead.chain_complete != (c.decision_chain == CHAIN_COMPLETE))


def rule_explain(*, conditions: Conditions, lead: LeadFacts) -> list[str] | None:
    """The matched conditions, each as a short phrase for the reason; None when one of them does not hold."""
    if not rule_matches(conditions=conditions, lead=lead):
        return None
    said: list[str] = []
    if conditions.regions:
        if lead.region_id not in conditions.regions:
            return None
        if lead.region_via_city:
            said.append(_("城市 %(city)s → %(region)s") % {"city": lead.city, "region": lead.region_name})
        else:
            said.append(_("大区 %(region)s") % {"region": lead.region_name})
    if conditions.provinces:
        if lead.province not in conditions.provinces:
            return None
        said.append(_("省份 %(province)s") % {"province": lead.province})
    if conditions.cities:
        if city_key(lead.city) not in conditions.cities:
            return None
        said.append(_("城市 %(city)s") % {"city": lead.city})
    if conditions.industries:
        if lead.industry not in conditions.industries:
            return None
        said.append(_("行业 %(industry)s") % {"industry": lead.industry})
    if conditions.company_sizes:
        if lead.company_size not in conditions.company_sizes:
            return None
        said.append(_("规模 %(size)s") % {"size": lead.company_size})
    if conditions.budget_min is not None or conditions.budget_max is not None:
        budget = lead.budget
        if budget is None:
            return None
        if conditions.budget_min is not None and budget < conditions.budget_min:
            return None
        if conditions.budget_max is not None and budget > conditions.budget_max:
            return None
        said.append(_("预算 %(budget)s") % {"budget": _money(budget)})
    if conditions.sources:
        if lead.source not in conditions.sources:
            return None
        said.append(_("来源 %(source)s") % {"source": SOURCE_LABELS.get(lead.source, lead.source)})
    if conditions.decision_chain:
        if lead.chain_complete != (conditions.decision_chain == CHAIN_COMPLETE):
            return None
        said.append(_("决策链完整") if lead.chain_complete else _("决策链不完整"))
    return said


def _skip_reason(rep: RepState) -> str | None:
    if not rep.active:
        return _("已停用")
    if rep.absent:
        return _("请假/暂停")
    if rep.today >= rep.cap:
        return _("今日已满 %(today)s/%(cap)s") % {"today": rep.today, "cap": rep.cap}
    return None


def _members(rule: RuleSpec, state: RoutingState) -> list[RepState]:
    return [state.reps[pk] for pk in rule.member_ids if pk in state.reps]


def _rotation(members: list[RepState], last_rep_id: int | None) -> list[int]:
    """Indexes into `members` in round-robin order: the one after the last rep served first. A last rep who has left
    the group hands the turn to the next id above theirs, so a change of members does not restart the rotation."""
    n = len(members)
    if last_rep_id is None:
        start = 0
    else:
        start = next((i for i, rep in enumerate(members) if rep.id > last_rep_id), 0)
        for i, rep in enumerate(members):
            if rep.id == last_rep_id:
                start = (i + 1) % n
                break
    return [(start + k) % n for k in range(n)]


def pick(*, rule: RuleSpec, state: RoutingState) -> tuple[RepState | None, int, list[dict[str, Any]]]:
    """The rep the rule's strategy picks among the available members, their 1-based place in the group, and the
    members skipped on the way (inactive, absent, at their daily cap)."""
    members = _members(rule, state)
    skipped: list[dict[str, Any]] = []
    if not members:
        return None, 0, skipped
    if rule.strategy == LEAST_LOADED:
        available = []
        for i, rep in enumerate(members):
            why = _skip_reason(rep)
            if why is None:
                available.append((rep.open, rep.today, rep.id, i, rep))
            else:
                skipped.append({"rep_id": rep.id, "name": rep.name, "why": why})
        if not available:
            return None, 0, skipped
        best = min(available)
        return best[4], best[3] + 1, skipped
    for i in _rotation(members, state.last_rep.get(rule.id)):
        rep = members[i]
        why = _skip_reason(rep)
        if why is None:
            return rep, i + 1, skipped
        skipped.append({"rep_id": rep.id, "name": rep.name, "why": why})
    return None, 0, skipped


def decide(*, lead: LeadFacts, rules: Iterable[RuleSpec], state: RoutingState) -> Decision:
    """First enabled rule whose conditions hold wins; its strategy picks the rep. No match, or a matched group that is
    entirely away or full: no rep, and the lead waits in the fallback queue (a later rule is not tried: a rule says
    who should get such leads, and handing them to another group silently would hide that the group is full)."""
    for rule in rules:
        if not rule_matches(conditions=rule.conditions, lead=lead):
            continue
        matched = rule_explain(conditions=rule.conditions, lead=lead) or []
        head = _("规则「%(rule)s」") % {"rule": rule.name}
        sep, colon = _("；"), _("：")
        conditions = sep.join(matched) if matched else _("无条件（兜底规则）")
        rep, place, skipped = pick(rule=rule, state=state)
        details: dict[str, Any] = {
            "rule": {"id": rule.id, "name": rule.name, "version": rule.version},
            "matched": matched, "strategy": rule.strategy, "target": rule.target_label, "group_size": len(rule.member_ids),
            "skipped": skipped, "region_id": lead.region_id, "region_via_city": lead.region_via_city,
        }
        skipped_text = ""
        if skipped:
            skipped_text = sep + _("跳过 %(names)s") % {"names": "、".join(f"{s['name']}（{s['why']}）" for s in skipped)}
        if rep is None:
            details["fallback"] = "group_full" if rule.member_ids else "group_empty"
            why = _("组内无人可接（均已停用、请假或满额）") if rule.member_ids else _("目标组没有在职销售")
            reason = f"{head}{colon}{conditions}{sep}{why}{skipped_text} → " + _("待分配队列")
            return Decision(rep_id=None, rule=rule, reason=reason, details=details)
        if rule.strategy == LEAST_LOADED:
            how = _("负载最少（在手 %(open)s 条，今日 %(today)s 条）") % {"open": rep.open, "today": rep.today}
        else:
            how = _("轮询第 %(place)s 位") % {"place": place}
        load = _("%(name)s今日已分配 %(today)s/%(cap)s") % {"name": rep.name, "today": rep.today, "cap": rep.cap}
        details.update(rep_id=rep.id, rep_name=rep.name, place=place, today_before=rep.today, cap=rep.cap, open_before=rep.open)
        reason = f"{head}{colon}{conditions}{sep}{how}{sep}{load}{skipped_text}"
        return Decision(rep_id=rep.id, rule=rule, reason=reason, details=details)
    return Decision(
        rep_id=None, rule=None, reason=_("没有规则匹配 → 待分配队列"),
        details={"fallback": "no_rule", "region_id": lead.region_id, "region_via_city": lead.region_via_city},
    )


def decide_all(*, leads: Sequence[LeadFacts], rules: Sequence[RuleSpec], state: RoutingState) -> list[Decision]:
    """Decide in order, each decision counting toward the next (caps, round-robin turns, loads)."""
    out = []
    _pinned_language.append(get_language())
    try:
        for lead in leads:
            decision = decide(lead=lead, rules=rules, state=state)
            state.take(decision)
            out.append(decision)
    finally:
        _pinned_language.pop()
    return out
