"""Process health: the seeds' five lines per region, team and rep, against the threshold table, with the offenders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories.sales import AccountFactory, ActivityFactory, LeadFactory, OpportunityFactory
from tests.insights.diagnostics_world import MARCH_QUERY, NOW, at, build_org
from xiaoguan.activities.models import Activity
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.insights.health import (
    FILLER_EXAMPLES,
    HEALTH_THRESHOLDS,
    health_thresholds,
    is_concrete,
    offending_accounts,
    offending_activities,
    offending_leads,
    process_health,
)
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity

pytestmark = pytest.mark.django_db


def test_threshold_bands_pass_near_miss_and_fail():
    t = health_thresholds()
    assert [x.code for x in HEALTH_THRESHOLDS] == ["first_response", "contacted_72h", "channels", "concrete", "valid_leads"]
    assert t["first_response"].band(120) == "green" and t["first_response"].band(125) == "amber"
    assert t["first_response"].band(135) == "red"  # 12.5 % over the two hours
    assert t["contacted_72h"].band(0.95) == "green" and t["contacted_72h"].band(0.90) == "amber" and t["contacted_72h"].band(0.75) == "red"
    assert t["valid_leads"].band(14) == "amber" and t["valid_leads"].band(None) == "none"


@pytest.mark.parametrize(
    ("content", "concrete"),
    [
        ("发送报价单，客户要求 5% 折扣", True),  # a document and a quantity
        ("约定3月20日到现场演示", True),  # a date, a next step
        ("下周二上门", True),
        ("客户暂无预算", True),  # what the customer said
        ("上门拜访，介绍产品", False),
        ("已沟通客户需求", False),
        ("", False),
        *[(text, False) for text in FILLER_EXAMPLES],
    ],
)
def test_a_log_is_concrete_when_it_names_an_action(content, concrete):
    assert is_concrete(content) is concrete


def _lead(owner, assigned: str, contact_after: timedelta | None, *, status: str = Lead.Status.CONTACTED) -> Lead:  # type: ignore[no-untyped-def]
    assigned_at = at(assigned)
    return LeadFactory(
        owner=owner, created_at=assigned_at, assigned_at=assigned_at, status=status,
        first_contact_at=assigned_at + contact_after if contact_after is not None else None,
    )  # fmt: skip


def _act(owner, content: str, when: str, *, kind: str = Activity.Kind.CALL, account=None) -> Activity:  # type: ignore[no-untyped-def]
    return ActivityFactory(owner=owner, account=account or AccountFactory(owner=owner), kind=kind, content=content, occurred_at=at(when), recorded_at=at(when))


@pytest.fixture
def march(clock):  # type: ignore[no-untyped-def]
    org = build_org()
    a, b = org.a, org.b
    leads = {
        # 小安: 30 min, 90 min, 3 h, never → median (90 min + 3 h) / 2 = 135 min; 2 of 4 within 2 h; 3 of 4 within 72 h
        "a30": _lead(a, "2025-03-03 10:00", timedelta(minutes=30)),
        "a90": _lead(a, "2025-03-04 10:00", timedelta(minutes=90)),
        "a3h": _lead(a, "2025-03-05 10:00", timedelta(hours=3)),
        "anever": _lead(a, "2025-03-06 10:00", None, status=Lead.Status.ASSIGNED),
        # 小白: 10 min, 20 min (then disqualified), 50 h → median 20 min; all within 72 h; 2 valid
        "b10": _lead(b, "2025-03-03 10:00", timedelta(minutes=10)),
        "b20": _lead(b, "2025-03-10 10:00", timedelta(minutes=20), status=Lead.Status.DISQUALIFIED),
        "b50h": _lead(b, "2025-03-12 10:00", timedelta(hours=50)),
        "feb": _lead(b, "2025-02-27 10:00", None),  # before the period
    }
    # 小安's logs: 2 of these 4 concrete; 小白's: 1 of 1
    acts = {
        "filler1": _act(a, "保持联系", "2025-03-03 11:00"),
        "quote": _act(a, "发送报价单，客户要求 5% 折扣", "2025-03-04 11:00"),
        "filler2": _act(a, "已电话沟通", "2025-03-05 11:00"),
        "date": _act(a, "约定3月20日到现场演示", "2025-03-06 11:00"),
        "b": _act(b, "下周二上门", "2025-03-06 11:00"),
        "april": _act(a, "保持联系", "2025-04-02 11:00"),
    }
    # 小安's customers with an open deal: X reached by call, visit (a check-in is a visit too), a tracked document → 3;
    # Y by WeCom only → 1. Z has only a lost deal: not counted.
    x, y, z = (AccountFactory(owner=a, name=n) for n in ("客户X", "客户Y", "客户Z"))
    for account in (x, y):
        OpportunityFactory(account=account, owner=a, created_at=at("2025-02-01 09:00"))
    OpportunityFactory(account=z, owner=a, created_at=at("2025-02-01 09:00"), status=Opportunity.Status.LOST, closed_at=at("2025-02-20 09:00"))
    # (all concrete but the note: 小安's logs are 7 concrete of 10)
    _act(a, "电话确认下周二演示", "2025-03-07 10:00", account=x)
    _act(a, "拜访，送样品", "2025-03-08 10:00", kind=Activity.Kind.VISIT, account=x)
    _act(a, "签到，约见采购", "2025-03-08 10:05", kind=Activity.Kind.CHECK_IN, account=x)
    acts["note"] = _act(a, "内部备注", "2025-03-08 10:10", kind=Activity.Kind.NOTE, account=x)
    _act(a, "发送报价单", "2025-03-09 10:00", kind=Activity.Kind.WECOM_MESSAGE, account=y)
    _act(a, "电话回访，客户表示暂不采购", "2025-03-09 10:00", account=z)
    TouchEvent.objects.create(tracked_item_key="t", document="方案书", account=x, kind=TouchEvent.Kind.OPENED, occurred_at=at("2025-03-10 10:00"))
    clock.set(NOW)
    return org, leads, acts, (x, y, z)


def test_five_lines_per_rep_by_hand(march, clock):
    org, _leads, _acts, _accounts = march
    report = process_health(f=org.cockpit(org.director), now=clock.at(NOW))
    rows = {(r.level, r.label): r.figures for r in report.rows}
    a, b = rows["rep", "小安"], rows["rep", "小白"]
    weeks = 31 / 7

    assert a["first_response"].value == pytest.approx(135.0) and a["first_response"].band == "red"
    assert a["first_response"].base == 4 and "2 小时内联系 50%" in a["first_response"].detail
    assert a["contacted_72h"].value == pytest.approx(0.75) and a["contacted_72h"].band == "red"
    assert a["channels"].value == pytest.approx(2.0) and a["channels"].base == 2 and a["channels"].band == "red"
    assert a["concrete"].value == pytest.approx(0.7) and a["concrete"].base == 10 and a["concrete"].band == "red"
    assert a["valid_leads"].value == pytest.approx(4 / weeks) and a["valid_leads"].band == "red"

    assert b["first_response"].value == pytest.approx(20.0) and b["first_response"].band == "green"
    assert b["contacted_72h"].value == 1.0 and b["contacted_72h"].band == "green"
    assert b["concrete"].value == 1.0 and b["concrete"].band == "green"
    assert b["valid_leads"].value == pytest.approx(2 / weeks)
    assert b["channels"].value is None and b["channels"].band == "none"  # no customer with an open deal

    east = rows["region", "华东大区"]
    # 7 leads: 10 min, 20 min, 30 min, 90 min, 50 h, 3 h, never → the median is the 4th, 90 min
    assert east["first_response"].value == pytest.approx(90.0) and east["first_response"].band == "green"
    assert east["contacted_72h"].value == pytest.approx(6 / 7)
    assert east["concrete"].value == pytest.approx(8 / 11)
    assert east["valid_leads"].value == pytest.approx(6 / (2 * weeks))
    everyone = rows["all", "全部"]
    assert everyone["valid_leads"].value == pytest.approx(6 / (3 * weeks))  # the north rep received nothing


def test_a_manager_sees_only_their_people(march, clock):
    org, *_ = march
    report = process_health(f=org.cockpit(org.manager), now=clock.at(NOW))
    assert [(r.level, r.label) for r in report.rows] == [("all", "全部"), ("region", "华东大区"), ("rep", "小安"), ("rep", "小白")]
    one = process_health(f=org.cockpit(org.manager, rep=org.b.external_id), now=clock.at(NOW))
    assert [(r.level, r.label) for r in one.rows] == [("rep", "小白")]


def test_leads_too_fresh_for_their_window_do_not_count_yet(march, clock):
    org, *_ = march
    # on 4-01 00:00: one lead assigned an hour ago (in neither window yet), one 38 hours ago (in the 2-hour one only)
    _lead(org.b, "2025-03-31 23:00", None, status=Lead.Status.ASSIGNED)
    _lead(org.b, "2025-03-30 10:00", None, status=Lead.Status.ASSIGNED)
    report = process_health(f=org.cockpit(org.director), now=clock.at("2025-04-01 00:00"))
    b = next(r for r in report.rows if r.label == "小白").figures
    assert (b["first_response"].base, b["contacted_72h"].base) == (4, 3)
    assert b["first_response"].value == pytest.approx((20 + 50 * 60) / 2)  # 10 min, 20 min, 50 h, never
    assert b["contacted_72h"].value == 1.0


def test_offenders_are_exactly_the_late_leads_the_vague_logs_and_the_thin_customers(march, clock):
    org, leads, acts, (_x, y, _z) = march
    f = org.cockpit(org.director, rep=org.a.external_id)
    now = clock.at(NOW)
    late = set(Lead.objects.filter(offending_leads(people=f.owner_ids, f=f, now=now, code="first_response")).values_list("pk", flat=True))
    assert late == {leads["a3h"].pk, leads["anever"].pk}
    unreached = set(Lead.objects.filter(offending_leads(people=f.owner_ids, f=f, now=now, code="contacted_72h")).values_list("pk", flat=True))
    assert unreached == {leads["anever"].pk}
    vague = set(Activity.objects.filter(offending_activities(people=f.owner_ids, f=f, now=now)).values_list("pk", flat=True))
    assert vague == {acts["filler1"].pk, acts["filler2"].pk, acts["note"].pk}  # not the April filler: outside the period
    assert offending_accounts(people=frozenset(f.owner_ids), f=f, now=now) == [(y.pk, 1)]


def test_page_colours_each_line_and_links_to_the_offending_records(march, login):
    org, leads, *_ = march
    page = login(org.manager).get(f"/insights/health/?{MARCH_QUERY}").content.decode()
    assert "过程健康诊断" in page and "小安" in page and "小陈" not in page
    assert 'class="band red"' in page and 'class="band green"' in page
    assert "drill=health_leads" in page and "drill=health_concrete" in page and "few_channels=1" in page
    drill = login(org.manager).get(f"/insights/drill/?{MARCH_QUERY}&rep={org.a.external_id}&drill=health_leads&line=first_response")
    body = drill.content.decode()
    assert leads["a3h"].external_id in body and leads["anever"].external_id in body
    assert leads["a30"].external_id not in body and leads["b50h"].external_id not in body
    thin = login(org.manager).get(f"/insights/customers/?{MARCH_QUERY}&few_channels=1").content.decode()
    assert "客户Y" in thin and "客户X" not in thin and "企业微信" in thin
