"""Authenticity rules read like the seeds: honest late logging passes, invented visits are caught, each with reasons."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories.org import UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory
from xiaoguan.activities.models import Activity
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.insights.authenticity import authenticity_report

pytestmark = pytest.mark.django_db

SUZHOU = (Decimal("31.2990"), Decimal("120.5853"))
BEIJING = (Decimal("39.9042"), Decimal("116.4074"))


def _touch(account, at: datetime) -> None:  # type: ignore[no-untyped-def]
    TouchEvent.objects.create(
        tracked_item_key=f"TI-{account.pk}-{at:%j%H%M}", account=account, kind=TouchEvent.Kind.OPENED, occurred_at=at
    )


def _visit(rep, occurred: datetime, recorded: datetime, **extra) -> Activity:  # type: ignore[no-untyped-def]
    account = extra.pop("account", None) or AccountFactory(owner=rep, city="苏州")
    defaults = {"kind": Activity.Kind.VISIT, "duration_seconds": 3600, "lat": SUZHOU[0], "lng": SUZHOU[1]}
    return ActivityFactory(owner=rep, account=account, occurred_at=occurred, recorded_at=recorded, **{**defaults, **extra})


def _flagged(as_of: datetime) -> dict[int, list[str]]:
    return {f.pk: f.reasons for f in authenticity_report(as_of=as_of).flagged}


def test_same_evening_write_up_is_not_flagged(clock):
    # given a rep who visited a customer at 10:00 and wrote it up at 20:30, the customer then opening the quote
    rep = UserFactory()
    visit = _visit(rep, clock.at("2025-03-04 10:00"), clock.at("2025-03-04 20:30"))
    _touch(visit.account, clock.at("2025-03-05 09:00"))
    # when authenticity is scored a week later
    flagged = _flagged(clock.at("2025-03-11 00:00"))
    # then the late write-up is not doubted
    assert visit.pk not in flagged


def test_friday_summary_of_real_calls_is_not_flagged(clock):
    # given five calls from Monday to Thursday typed on Friday afternoon three minutes apart, each customer active
    rep = UserFactory()
    calls = []
    for i in range(5):
        occurred = clock.at("2025-03-03 10:00") + timedelta(days=i % 4, hours=i)
        call = ActivityFactory(
            owner=rep, kind=Activity.Kind.CALL, occurred_at=occurred, recorded_at=clock.at("2025-03-07 17:00") + timedelta(minutes=3 * i),
            duration_seconds=400, content=f"电话沟通第{i}家客户的采购计划",
        )  # fmt: skip
        _touch(call.account, occurred + timedelta(days=1))
        calls.append(call)
    # when scored the next week
    flagged = _flagged(clock.at("2025-03-10 00:00"))
    # then none of the summary is doubted
    assert not {c.pk for c in calls} & set(flagged)


def test_phone_syncing_a_day_of_offline_visits_is_not_flagged(clock):
    # given six visits of one day along a plausible route, synced seconds apart that evening
    rep = UserFactory()
    visits = [
        _visit(rep, clock.at("2025-03-04 09:00") + timedelta(hours=1.5 * i), clock.at("2025-03-04 21:00") + timedelta(seconds=5 * i),
               duration_seconds=3000, lat=SUZHOU[0] + Decimal("0.01") * i)
        for i in range(6)
    ]  # fmt: skip
    # when scored
    flagged = _flagged(clock.at("2025-03-10 00:00"))
    # then the sync is not mistaken for back-filling
    assert not {v.pk for v in visits} & set(flagged)


def test_burst_of_short_backdated_visits_is_flagged_with_reasons(clock):
    # given eight visits claimed over four earlier days, typed on Friday afternoon twenty seconds apart, with durations
    # that overlap each other, at customers who did nothing around those days
    rep = UserFactory()
    visits = [
        _visit(rep, clock.at("2025-03-03 10:00") + timedelta(days=i // 2, minutes=30 * (i % 2)),
               clock.at("2025-03-07 16:00") + timedelta(seconds=20 * i), duration_seconds=5400, content="拜访客户，沟通需求")
        for i in range(8)
    ]  # fmt: skip
    # when scored
    flagged = _flagged(clock.at("2025-03-10 00:00"))
    # then every one of them is flagged, and the reasons name the back-filling and the overlap
    assert {v.pk for v in visits} <= set(flagged)
    reasons = flagged[visits[0].pk]
    assert any("集中补录" in r for r in reasons)
    assert any("重叠" in r for r in reasons)


def test_check_in_a_thousand_kilometres_from_the_customer_is_flagged(clock):
    # given a visit to a 苏州 customer whose check-in position is in 北京
    rep = UserFactory()
    visit = _visit(rep, clock.at("2025-03-04 10:00"), clock.at("2025-03-04 11:30"), lat=BEIJING[0], lng=BEIJING[1])
    # when scored
    flagged = _flagged(clock.at("2025-03-10 00:00"))
    # then it is flagged because of the distance
    assert visit.pk in flagged
    assert any("签到位置距客户所在城市" in r and "公里" in r for r in flagged[visit.pk])


def test_records_typed_after_the_as_of_instant_are_not_considered(clock):
    rep = UserFactory()
    visit = _visit(rep, clock.at("2025-03-04 10:00"), clock.at("2025-03-04 11:30"), lat=BEIJING[0], lng=BEIJING[1])
    report = authenticity_report(as_of=clock.at("2025-03-04 11:00"))
    assert visit.pk not in {f.pk for f in report.flagged}
    assert rep.pk not in report.by_rep


def test_command_prints_the_json_of_the_cli_contract(clock):
    rep = UserFactory(external_id="U-R1")
    visit = _visit(rep, clock.at("2025-03-04 10:00"), clock.at("2025-03-04 11:30"), lat=BEIJING[0], lng=BEIJING[1])
    _visit(rep, clock.at("2025-03-05 10:00"), clock.at("2025-03-05 11:30"))
    out = StringIO()
    call_command("authenticity", "--as-of", "2025-03-10", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["as_of"] == "2025-03-10"
    assert [f["activity_id"] for f in data["flagged"]] == [visit.external_id]
    assert 0.6 <= data["flagged"][0]["score"] <= 1 and data["flagged"][0]["reasons"]
    assert data["by_rep"] == {"U-R1": {"activities": 2, "flagged": 1, "rate": 0.5}}
