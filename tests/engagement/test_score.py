"""The engagement score (seeds: opened 1, clicked 3, downloaded 5, meeting booked 8, decaying with time), the silent-
customer rule (72 h without any touch and a score under 5 → a care task) and the reps' daily top-3."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory, ContactFactory, OpportunityFactory
from xiaoguan.activities.models import Task
from xiaoguan.automation.models import Notification
from xiaoguan.automation.sweep import sweep_run
from xiaoguan.core.errors import NotAllowedError
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.engagement.rules import engagement_digest_job, silent_customers_job
from xiaoguan.engagement.selectors import engagement_scores
from xiaoguan.engagement.services import engagement_policy_update
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db
Kind = TouchEvent.Kind


@pytest.fixture
def book():  # type: ignore[no-untyped-def]
    region = TeamFactory(name="华南大区", kind=Team.Kind.REGION)
    manager = UserFactory(role=Role.MANAGER, team=region)
    rep = UserFactory(role=Role.REP, team=region, manager=manager, name="小陈")
    account = AccountFactory(owner=rep, name="广州恒达医疗器械有限公司")
    return rep, account


_seq = iter(range(1, 1_000_000))


def event(account, kind: str, at: datetime, *, contact=None, opportunity=None) -> TouchEvent:  # type: ignore[no-untyped-def]
    return TouchEvent.objects.create(
        external_id=f"T{next(_seq)}", tracked_item_key="TI1", document="报价单", account=account, contact=contact,
        opportunity=opportunity, kind=kind, occurred_at=at,
    )


def test_score_weights_behaviours_and_halves_them_every_half_life(book, clock):
    rep, account = book
    contact = ContactFactory(account=account)
    deal = OpportunityFactory(account=account, owner=rep)
    now = clock.at("2025-06-10 12:00")
    event(account, Kind.DOWNLOADED, now, contact=contact, opportunity=deal)  # 5
    event(account, Kind.OPENED, clock.at("2025-06-03 12:00"), contact=contact)  # 1 a week ago: 0.5
    event(account, Kind.MEETING_BOOKED, clock.at("2025-05-27 12:00"))  # 8 two weeks ago: 2
    event(account, Kind.SENT, now, opportunity=deal)  # the rep's act: no points
    event(account, Kind.CLICKED, clock.at("2025-06-11 12:00"))  # after now: unknown yet
    assert engagement_scores(subject="account", ids=[account.pk], now=now)[account.pk].score == pytest.approx(7.5)
    assert engagement_scores(subject="contact", ids=[contact.pk], now=now)[contact.pk].score == pytest.approx(5.5)
    deal_score = engagement_scores(subject="opportunity", ids=[deal.pk], now=now)[deal.pk]
    assert deal_score.score == pytest.approx(5.0)
    assert deal_score.reasons == ["已下载 1 次，计 5.0 分"]
    # a week later everything is worth half, and the click of the 11th has happened
    later = engagement_scores(subject="account", ids=[account.pk], now=clock.at("2025-06-17 12:00"))
    assert later[account.pk].score == pytest.approx(7.5 / 2 + 3 * 0.5 ** (6 / 7), abs=0.05)


def test_an_admin_changes_the_weights_and_the_score_follows(book, clock):
    rep, account = book
    admin = UserFactory(role=Role.ADMIN, team=None)
    now = clock.set("2025-06-10 12:00")
    event(account, Kind.DOWNLOADED, now)
    values = {"weight_opened": Decimal(1), "weight_clicked": Decimal(3), "weight_downloaded": Decimal(10), "weight_meeting_booked": Decimal(8),
              "half_life_days": Decimal(14), "silent_hours": 72, "silent_score_below": Decimal(5)}  # fmt: skip
    with pytest.raises(NotAllowedError):
        engagement_policy_update(by=rep, now=now, values=values)
    policy = engagement_policy_update(by=admin, now=now, values=values, note="合同下载更重要")
    assert policy.version == 1
    assert engagement_scores(subject="account", ids=[account.pk], now=now)[account.pk].score == pytest.approx(10.0)
    assert engagement_policy_update(by=admin, now=now, values=values).version == 2  # history kept, newest in force


def test_a_silent_customer_gets_one_care_task_however_often_the_sweep_runs(book, clock):
    rep, account = book
    OpportunityFactory(account=account, owner=rep)  # an open deal: the customer is watched
    event(account, Kind.OPENED, clock.at("2025-06-01 09:00"))
    ActivityFactory(owner=rep, account=account, occurred_at=clock.at("2025-06-02 10:00"), recorded_at=clock.at("2025-06-02 10:00"))
    # 71 hours after the last touch: not yet
    assert silent_customers_job(clock.at("2025-06-05 09:00")) == "0 care tasks"
    assert silent_customers_job(clock.at("2025-06-05 10:01")) == "1 care tasks"
    for hour in ("11:01", "12:01"):
        silent_customers_job(clock.at(f"2025-06-05 {hour}"))
    task = Task.objects.get(owner=rep, account=account)
    assert task.source == Task.Source.SYSTEM and task.title == "关怀任务：广州恒达医疗器械有限公司 已 3 天无触点"
    assert task.due_at == clock.at("2025-06-05 23:59")  # today's to-dos, not tomorrow's
    assert Notification.objects.filter(recipient=rep, kind="engagement_silent").count() == 1
    # the customer comes back, then goes quiet again: a new silence, a new task
    event(account, Kind.CLICKED, clock.at("2025-06-06 09:00"))
    silent_customers_job(clock.at("2025-06-08 09:00"))
    assert Task.objects.filter(account=account).count() == 1
    silent_customers_job(clock.at("2025-06-09 09:01"))
    assert Task.objects.filter(account=account).count() == 2


def test_the_sweep_runs_the_silent_customer_job(book, clock):
    rep, account = book
    OpportunityFactory(account=account, owner=rep)
    sweep_run(now=clock.at("2025-06-05 09:00"))  # registers the periodic jobs
    sweep_run(now=clock.at("2025-06-05 10:05"))
    sweep_run(now=clock.at("2025-06-05 10:10"))
    assert Task.objects.filter(owner=rep, account=account, title__startswith="关怀任务").count() == 1


def test_engaged_customers_and_dormant_books_get_no_care_task(book, clock):
    rep, account = book
    OpportunityFactory(account=account, owner=rep)
    event(account, Kind.MEETING_BOOKED, clock.at("2025-06-01 09:00"))  # 8 points, 4 days later still > 5
    dormant = AccountFactory(owner=rep)  # no open deal, no behaviour in 30 days
    closed = AccountFactory(owner=rep)
    OpportunityFactory(account=closed, owner=rep, status=Opportunity.Status.LOST)
    assert silent_customers_job(clock.at("2025-06-05 09:00")) == "0 care tasks"
    assert not Task.objects.filter(account__in=[account, dormant, closed]).exists()


def test_the_daily_digest_lists_each_reps_top_three_behaviours(book, clock):
    rep, account = book
    other = AccountFactory(owner=rep, name="深圳迈科检测有限公司")
    third = AccountFactory(owner=rep, name="东莞华晟电子有限公司")
    fourth = AccountFactory(owner=rep, name="佛山顺德精机有限公司")
    day = "2025-06-10"
    event(account, Kind.DOWNLOADED, clock.at(f"{day} 10:00"))
    event(account, Kind.MEETING_BOOKED, clock.at(f"{day} 11:00"))  # 13
    event(other, Kind.CLICKED, clock.at(f"{day} 09:00"))
    event(other, Kind.CLICKED, clock.at(f"{day} 15:00"))  # 6
    event(third, Kind.OPENED, clock.at(f"{day} 09:30"))  # 1
    event(fourth, Kind.OPENED, clock.at("2025-06-09 17:00"))  # yesterday: not today's
    assert engagement_digest_job(clock.at(f"{day} 18:00")) == "1 digests"
    note = Notification.objects.get(recipient=rep, kind="engagement_digest")
    lines = note.body.splitlines()
    assert lines[0] == "1. 广州恒达医疗器械有限公司：已下载、已预约会议，价值分 13"
    assert lines[1] == "2. 深圳迈科检测有限公司：已点击×2，价值分 6"
    assert lines[2].startswith("3. 东莞华晟电子有限公司") and len(lines) == 3
    engagement_digest_job(clock.at(f"{day} 18:30"))
    assert Notification.objects.filter(recipient=rep, kind="engagement_digest").count() == 1
