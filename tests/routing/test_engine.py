"""The routing decision, pure: conditions, first match, round-robin, least-loaded, caps and absence, reasons."""

from __future__ import annotations

from decimal import Decimal

from xiaoguan.routing.engine import (
    LEAST_LOADED,
    ROUND_ROBIN,
    Conditions,
    LeadFacts,
    RepState,
    RoutingState,
    RuleSpec,
    decide,
    decide_all,
    decision_chain_complete,
)


def rule(pk: int, name: str, members: tuple[int, ...], strategy: str = ROUND_ROBIN, **conditions: object) -> RuleSpec:
    return RuleSpec(id=pk, name=name, version=1, conditions=Conditions.from_json(conditions), strategy=strategy,
                    member_ids=members, target_label="华东大区")


def lead(**facts: object) -> LeadFacts:
    base: dict[str, object] = {"id": 1, "source": "web_form", "industry": "制造业", "city": "苏州", "province": "江苏",
                               "region_id": 7, "region_name": "华东大区", "budget": Decimal("200000")}
    return LeadFacts(**{**base, **facts})  # type: ignore[arg-type]


def reps(*ids: int, cap: int = 15) -> RoutingState:
    return RoutingState(reps={pk: RepState(id=pk, name=f"销售{pk}", cap=cap) for pk in ids})


def test_first_matching_rule_wins_even_when_a_later_rule_also_matches():
    rules = [rule(1, "医疗", (10,), industries=["医疗"]), rule(2, "制造业", (20,), industries=["制造业"]), rule(3, "兜底", (30,))]
    decision = decide(lead=lead(), rules=rules, state=reps(10, 20, 30))
    assert decision.rule is not None and decision.rule.id == 2
    assert decision.rep_id == 20


def test_each_condition_must_hold():
    state = reps(10)
    cases = [
        ({"regions": [7]}, {"region_id": 8}),
        ({"provinces": ["江苏"]}, {"province": "浙江"}),
        ({"cities": ["苏州市"]}, {"city": "无锡"}),
        ({"industries": ["制造业"]}, {"industry": "医疗"}),
        ({"company_sizes": ["50-199"]}, {"company_size": "1-49"}),
        ({"budget_min": "100000"}, {"budget": Decimal("99999")}),
        ({"budget_max": "100000"}, {"budget": Decimal("100001")}),
        ({"budget_min": "1"}, {"budget": None}),
        ({"sources": ["wecom"]}, {"source": "web_form"}),
        ({"decision_chain": "complete"}, {"chain_complete": False}),
        ({"decision_chain": "incomplete"}, {"chain_complete": True}),
    ]
    for conditions, miss in cases:
        spec = rule(1, "r", (10,), **conditions)
        hit = {"region_id": 7, "province": "江苏", "city": "苏州", "industry": "制造业", "company_size": "50-199",
               "budget": Decimal("100000"), "source": "wecom" if "sources" in conditions else "web_form",
               "chain_complete": conditions.get("decision_chain") == "complete"}
        assert decide(lead=lead(**hit), rules=[spec], state=state).rep_id == 10, conditions
        assert decide(lead=lead(**{**hit, **miss}), rules=[spec], state=state).rule is None, (conditions, miss)


def test_city_condition_ignores_the_trailing_shi():
    spec = rule(1, "苏州", (10,), cities=["苏州"])
    assert decide(lead=lead(city="苏州市"), rules=[spec], state=reps(10)).rep_id == 10


def test_round_robin_takes_turns_in_member_order_and_continues_from_the_cursor():
    spec = rule(1, "华东", (10, 20, 30))
    state = reps(10, 20, 30)
    state.last_rep[1] = 20
    picked = [d.rep_id for d in decide_all(leads=[lead(id=i) for i in range(5)], rules=[spec], state=state)]
    assert picked == [30, 10, 20, 30, 10]


def test_round_robin_skips_reps_at_their_cap_or_absent_and_says_so():
    spec = rule(1, "华东", (10, 20, 30))
    state = reps(10, 20, 30, cap=4)
    state.reps[10].today = 4
    state.reps[20].absent = True
    decision = decide(lead=lead(), rules=[spec], state=state)
    assert decision.rep_id == 30
    assert "销售10（今日已满 4/4）" in decision.reason and "销售20（请假/暂停）" in decision.reason
    assert {s["rep_id"] for s in decision.details["skipped"]} == {10, 20}


def test_least_loaded_picks_fewest_open_then_fewest_today():
    spec = rule(1, "华东", (10, 20, 30), strategy=LEAST_LOADED)
    state = reps(10, 20, 30)
    state.reps[10].open, state.reps[20].open, state.reps[30].open = 5, 2, 2
    state.reps[20].today = 3
    decision = decide(lead=lead(), rules=[spec], state=state)
    assert decision.rep_id == 30
    assert "负载最少" in decision.reason


def test_everyone_full_sends_the_lead_to_the_fallback_queue_not_to_a_later_rule():
    rules = [rule(1, "华东", (10,)), rule(2, "兜底", (20,))]
    state = reps(10, 20, cap=1)
    state.reps[10].today = 1
    decision = decide(lead=lead(), rules=rules, state=state)
    assert decision.rep_id is None and decision.over_cap
    assert decision.details["fallback"] == "group_full"
    assert "待分配队列" in decision.reason


def test_no_rule_matches_goes_to_the_fallback_queue():
    decision = decide(lead=lead(industry="教育"), rules=[rule(1, "制造业", (10,), industries=["制造业"])], state=reps(10))
    assert decision.rep_id is None and decision.rule is None
    assert decision.details["fallback"] == "no_rule"


def test_reason_reads_like_the_brief():
    spec = rule(1, "华东-制造业", (10, 20, 30), regions=[7], industries=["制造业"])
    state = reps(10, 20, 30)
    state.last_rep[1] = 20
    state.reps[30].today = 4
    decision = decide(lead=lead(region_via_city=True), rules=[spec], state=state)
    assert decision.reason == "规则「华东-制造业」：城市 苏州 → 华东大区；行业 制造业；轮询第 3 位；销售30今日已分配 4/15"


def test_caps_count_inside_a_batch():
    spec = rule(1, "华东", (10, 20))
    decisions = decide_all(leads=[lead(id=i) for i in range(5)], rules=[spec], state=reps(10, 20, cap=2))
    assert [d.rep_id for d in decisions] == [10, 20, 10, 20, None]


def test_decision_chain_complete_needs_person_usable_phone_company_and_budget():
    assert decision_chain_complete(name="张三", phone="+86 138-1234-5678", company="苏州精工", budget=Decimal("1"))
    assert not decision_chain_complete(name="张三", phone="12345", company="苏州精工", budget=Decimal("1"))
    assert not decision_chain_complete(name="", phone="13812345678", company="苏州精工", budget=Decimal("1"))
    assert not decision_chain_complete(name="张三", phone="13812345678", company="苏州精工", budget=None)
    assert not decision_chain_complete(name="张三", phone="13812345678", company="苏州精工", budget=Decimal("0"))


def test_conditions_round_trip_to_minimal_json():
    data = {"cities": ["苏州市", "无锡"], "budget_min": "100000", "industries": [], "decision_chain": "bogus"}
    assert Conditions.from_json(data).to_json() == {"cities": ["无锡", "苏州"], "budget_min": "100000"}
    assert Conditions.from_json({}).is_catch_all
