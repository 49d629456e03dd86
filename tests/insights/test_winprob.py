"""Win probability and forecast on a hand-built history: fast deals win, stalled ones lose.

Every day for 300 days a deal is created. Two in three are brisk (a stage every 5 days, won after the quote stage);
one in three stall (a stage every 25 days, lost in the demo stage). The model must learn that from the past alone.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, standard_pipeline
from xiaoguan.core.clock import org_tz
from xiaoguan.core.process_cache import process_caches_clear
from xiaoguan.customers.models import Account
from xiaoguan.insights.forecast import forecast_compute
from xiaoguan.insights.winprob import win_scores
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.org.models import User

pytestmark = pytest.mark.django_db

AS_OF = datetime(2025, 10, 1, tzinfo=org_tz())
DAYS = 300


def _history(*, reps: int = 2) -> list[Opportunity]:
    """Deals created daily before (and 40 days after) AS_OF, with their whole future written down."""
    pipeline = standard_pipeline()
    stages = {s.position: s for s in pipeline.stages.all()}
    region = TeamFactory(name="华东大区", external_id="R-EAST")
    people = [cast(User, UserFactory(team=region)) for _ in range(reps)]
    account = cast(Account, AccountFactory(owner=people[0]))
    deals: list[Opportunity] = []
    entries: list[tuple[int, int, datetime]] = []
    for day in range(DAYS + 40):
        created = AS_OF - timedelta(days=DAYS - day, hours=-10)
        brisk = day % 3 != 0
        step = 5 if brisk else 25
        last = 5 if brisk else 3  # brisk deals reach 合同签署 (won); stalled ones stop at 方案演示 (lost)
        closed = created + timedelta(days=step * (last - 1) + (0 if brisk else 30))
        deal = Opportunity(
            account=account, owner=people[day % reps], pipeline=pipeline, stage=stages[last], name=f"商机{day}",
            amount=Decimal(200_000 if brisk else 300_000), created_at=created, external_id=f"O{day:05d}",
            status=Opportunity.Status.WON if brisk else Opportunity.Status.LOST, closed_at=closed,
        )  # fmt: skip
        deals.append(deal)
        entries += [(day, position, created + timedelta(days=step * (position - 1))) for position in range(1, last + 1)]
    Opportunity.objects.bulk_create(deals)
    StageHistory.objects.bulk_create(StageHistory(opportunity=deals[d], stage=stages[p], entered_at=at) for d, p, at in entries)
    return deals


def _forget_the_future() -> None:
    """What the database held on AS_OF: no later deals, entries or closings."""
    Opportunity.objects.filter(created_at__gte=AS_OF).delete()
    StageHistory.objects.filter(entered_at__gte=AS_OF).delete()
    for deal in Opportunity.objects.filter(closed_at__gte=AS_OF):
        last = deal.stage_history.order_by("-entered_at").first()
        assert last is not None
        deal.status, deal.closed_at, deal.stage = Opportunity.Status.OPEN, None, last.stage
        deal.save(update_fields=["status", "closed_at", "stage"])
    process_caches_clear()


def test_a_deal_that_stalls_in_its_stage_scores_far_below_a_brisk_one():
    deals = _history()
    scores = win_scores(as_of=AS_OF)

    def shown(deal: Opportunity, days: int) -> bool:  # old enough to have shown its pace: one brisk step, one stalled
        return deal.pk in scores and deal.created_at < AS_OF - timedelta(days=days)

    brisk = [scores[d.pk].probability for d in deals if d.status == Opportunity.Status.WON and shown(d, 5)]
    stalled = [scores[d.pk].probability for d in deals if d.status == Opportunity.Status.LOST and shown(d, 25)]
    assert brisk and stalled
    assert min(brisk) > max(stalled)
    # the reasons say where the deal stands and what weighs on it, in Chinese with its own figures
    worst = min(scores.values(), key=lambda s: s.probability)
    assert worst.reasons[0].startswith("处于「")
    assert any("停留" in r and r.startswith("↓") for r in worst.reasons[1:])


def test_what_happened_after_the_as_of_day_never_changes_a_score():
    _history()
    before = {pk: (round(s.probability, 9), s.reasons) for pk, s in win_scores(as_of=AS_OF).items()}
    _forget_the_future()
    after = {pk: (round(s.probability, 9), s.reasons) for pk, s in win_scores(as_of=AS_OF).items()}
    assert after == before


def test_forecast_adds_the_deals_not_yet_created_and_its_parts_add_up():
    _history()
    forecast = forecast_compute(as_of=AS_OF, until=AS_OF + timedelta(days=92), samples=500)
    assert forecast.new_part > 0 and forecast.open_part > 0
    assert forecast.total == pytest.approx(forecast.open_part + forecast.new_part)
    assert sum(forecast.by_region.values()) == pytest.approx(forecast.total)
    assert sum(forecast.by_rep.values()) == pytest.approx(forecast.total)
    assert forecast.low < forecast.total < forecast.high
    assert forecast.samples.shape == (500, len(forecast.rep_pks))
    # brisk deals are created daily two days in three and close 20 days later at 200,000 (the value ratio here is
    # 200,000 / 300,000, as won and lost deals carry different amounts): the window's new part is close to
    # (92 - 20) days × 2/3 deal a day × 200,000
    assert forecast.new_part == pytest.approx(72 * 2 / 3 * 200_000, rel=0.1)


def test_forecast_command_prints_the_contract_of_the_cli_spec():
    _history()
    out = io.StringIO()
    call_command("forecast", "--as-of", "2025-10-01", "--until", "2025-12-31", "--json", "--samples", "300", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"as_of", "until", "total", "low", "high", "by_region", "by_rep", "explain"}
    assert data["as_of"] == "2025-10-01" and data["until"] == "2025-12-31"
    assert list(data["by_region"]) == ["R-EAST"] and data["by_region"]["R-EAST"] == data["total"]
    assert all(isinstance(line, str) and line for line in data["explain"])


def test_score_command_lists_every_open_deal_with_quoted_reasons():
    _history()
    _forget_the_future()
    out = io.StringIO()
    call_command("score", "--as-of", "2025-10-01", "--csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "opportunity_id,probability,top_reasons"
    open_ids = set(Opportunity.objects.filter(status=Opportunity.Status.OPEN).values_list("external_id", flat=True))
    assert {line.split(",", 1)[0] for line in lines[1:]} == open_ids
    for line in lines[1:]:
        _id, probability, reasons = line.split(",", 2)
        assert 0 <= float(probability) <= 1
        assert reasons.startswith('"处于「') and reasons.endswith('"')


def test_an_empty_database_forecasts_nothing_and_scores_nothing():
    out = io.StringIO()
    call_command("forecast", "--as-of", "2025-10-01", "--until", "2025-12-31", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["total"] == 0 and data["by_region"] == {} and data["explain"]
    out = io.StringIO()
    call_command("score", "--as-of", "2025-10-01", "--csv", stdout=out)
    assert out.getvalue() == "opportunity_id,probability,top_reasons\n"


def test_a_window_ending_before_it_starts_is_a_usage_error():
    with pytest.raises(CommandError) as exc:
        call_command("forecast", "--as-of", "2025-10-01", "--until", "2025-09-01", "--json")
    assert exc.value.returncode == 2
