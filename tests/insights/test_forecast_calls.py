"""The manager's call (经理预测): who may enter it for which scope, what is refused, and the history kept per week."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.factories.org import TeamFactory, UserFactory
from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.insights.calls import calls_by_week, forecast_call_record
from xiaoguan.insights.models import ForecastCall
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db

Q1 = date(2025, 1, 1)


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    hq = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=hq)
    north = TeamFactory(name="华北大区", kind=Team.Kind.REGION, parent=hq)
    return {
        "east": east, "north": north,
        "director": UserFactory(role=Role.DIRECTOR, team=hq, name="总监"),
        "manager": UserFactory(role=Role.MANAGER, team=east, name="东区经理"),
        "rep": UserFactory(role=Role.REP, team=east, name="阿安"),
    }  # fmt: skip


def test_a_manager_calls_for_their_region_and_the_call_is_kept_with_who_and_when(org, clock):
    now = clock.set("2025-02-05 10:00")  # a Wednesday
    call = forecast_call_record(by=org["manager"], team=org["east"], kind="commit", amount="1,200,000", comment="两个大单", now=now)
    assert (call.team, call.quarter_start, call.week, call.amount, call.by, call.at) == (
        org["east"], Q1, date(2025, 2, 3), Decimal("1200000.00"), org["manager"], now,
    )


def test_a_manager_may_not_call_for_another_region_or_the_company_and_a_rep_for_nothing(org, clock):
    now = clock.set("2025-02-05 10:00")
    for by, team in ((org["manager"], org["north"]), (org["manager"], None), (org["rep"], org["east"])):
        with pytest.raises(NotAllowedError):
            forecast_call_record(by=by, team=team, kind="commit", amount="100", comment="", now=now)
    assert forecast_call_record(by=org["director"], team=None, kind="commit", amount="100", comment="", now=now).team is None
    assert forecast_call_record(by=org["director"], team=org["north"], kind="commit", amount="100", comment="", now=now).team == org["north"]


@pytest.mark.parametrize(("amount", "kind", "message"), [
    ("-5", "commit", "金额不能为负"),
    ("一百万", "commit", "请填写金额"),
    ("", "commit", "请填写金额"),
    ("NaN", "commit", "请填写金额"),
    ("1e15", "commit", "金额过大"),
    ("100", "maybe", "请选择承诺数或乐观数"),
])  # fmt: skip
def test_unreadable_or_impossible_calls_are_refused(org, clock, amount, kind, message):
    with pytest.raises(ValidationFailedError) as refused:
        forecast_call_record(by=org["manager"], team=org["east"], kind=kind, amount=amount, comment="", now=clock.set("2025-02-05 10:00"))
    assert message in " ".join(m for ms in refused.value.field_errors.values() for m in ms)
    assert not ForecastCall.objects.exists()


def test_best_case_below_the_same_weeks_commit_is_refused(org, clock):
    now = clock.set("2025-02-05 10:00")
    forecast_call_record(by=org["manager"], team=org["east"], kind="commit", amount="1000000", comment="", now=now)
    with pytest.raises(ValidationFailedError) as refused:
        forecast_call_record(by=org["manager"], team=org["east"], kind="best_case", amount="900000", comment="", now=now)
    assert "乐观数不能低于本周的承诺数" in refused.value.field_errors["amount"][0]
    forecast_call_record(by=org["manager"], team=org["east"], kind="best_case", amount="1300000", comment="", now=now)
    with pytest.raises(ValidationFailedError):
        forecast_call_record(by=org["manager"], team=org["east"], kind="commit", amount="1400000", comment="", now=now)


def test_each_week_shows_the_latest_call_standing_then_carried_forward(org, clock):
    east = org["east"]
    forecast_call_record(by=org["manager"], team=east, kind="commit", amount="100", comment="", now=clock.set("2025-01-07 09:00"))
    forecast_call_record(by=org["manager"], team=east, kind="commit", amount="120", comment="", now=clock.set("2025-01-08 09:00"))
    forecast_call_record(by=org["director"], team=east, kind="commit", amount="150", comment="总监调整", now=clock.set("2025-01-22 09:00"))
    weeks = [date(2025, 1, 6), date(2025, 1, 13), date(2025, 1, 20), date(2024, 12, 30)]
    standing = calls_by_week(team=east, quarter_start=Q1, weeks=weeks)
    assert [standing[w].commit.amount if standing[w].commit else None for w in weeks] == [Decimal(120), Decimal(120), Decimal(150), None]
    assert standing[date(2025, 1, 20)].commit.by == org["director"]
    assert ForecastCall.objects.count() == 3  # nothing overwritten


def test_the_call_form_on_the_page_records_and_refuses_foreign_scopes(org, clock, login):
    clock.set("2025-02-05 10:00")
    client = login(org["manager"])
    ok = client.post("/insights/forecast/call/", {"scope": org["east"].external_id, "kind": "commit", "amount": "800000", "comment": "稳"})
    assert ok.status_code == 302 and ForecastCall.objects.get().amount == Decimal(800000)
    foreign = client.post("/insights/forecast/call/", {"scope": org["north"].external_id, "kind": "commit", "amount": "1"})
    company = client.post("/insights/forecast/call/", {"scope": "company", "kind": "commit", "amount": "1"})
    assert foreign.status_code == 403 and company.status_code == 403
    bad = client.post("/insights/forecast/call/", {"scope": org["east"].external_id, "kind": "commit", "amount": "-1"})
    assert bad.status_code == 422 and "金额不能为负" in bad.content.decode()
    assert ForecastCall.objects.count() == 1
