"""A small organisation for the cockpit diagnostics tests: two regions, a director, the east manager, two east reps and
one north rep; records are added by each test. March 2025 is the period, 2025-04-10 09:00 is now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory, OpportunityFactory, stage
from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import org_tz
from xiaoguan.customers.models import Account
from xiaoguan.insights.filters import CockpitFilter, cockpit_filter_parse
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.org.models import Role, Team, User

TODAY = date(2025, 4, 10)
NOW = "2025-04-10 09:00"
MARCH = {"period": "custom", "start": "2025-03-01", "end": "2025-03-31"}
MARCH_QUERY = "period=custom&start=2025-03-01&end=2025-03-31"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=org_tz())


@dataclass
class Org:
    east: Team
    north: Team
    director: User
    manager: User
    a: User  # east
    b: User  # east
    c: User  # north

    def cockpit(self, viewer: User, **params: str) -> CockpitFilter:
        return cockpit_filter_parse(user=viewer, params={**MARCH, **params}, today=TODAY)


def build_org() -> Org:
    hq = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=hq)
    north = TeamFactory(name="华北大区", kind=Team.Kind.REGION, parent=hq)
    director = UserFactory(role=Role.DIRECTOR, team=hq, name="总监")
    manager = UserFactory(role=Role.MANAGER, team=east, name="东区经理", manager=director)
    a = UserFactory(role=Role.REP, team=east, manager=manager, name="小安")
    b = UserFactory(role=Role.REP, team=east, manager=manager, name="小白")
    c = UserFactory(role=Role.REP, team=north, name="小陈")
    return Org(east=east, north=north, director=director, manager=manager, a=a, b=b, c=c)


def closed_deal(owner: User, *, won: bool, created: str, closed: str, account: Account | None = None) -> Opportunity:
    """A standard-pipeline deal created and closed at the given times (won in 合同签署, lost in 方案演示)."""
    key = "contract_signed" if won else "solution_demo"
    deal = OpportunityFactory(
        account=account or AccountFactory(owner=owner), owner=owner, stage=stage(key), amount=Decimal("100000"),
        status=Opportunity.Status.WON if won else Opportunity.Status.LOST, created_at=at(created), closed_at=at(closed),
    )  # fmt: skip
    StageHistory.objects.create(opportunity=deal, stage=stage("lead_confirmed"), entered_at=at(created))
    StageHistory.objects.create(opportunity=deal, stage=stage(key), entered_at=at(closed))
    return deal


def note(deal: Opportunity, content: str, when: str, *, kind: str = Activity.Kind.CALL) -> Activity:
    """An activity on the deal (and its account), occurring and typed at `when`."""
    return ActivityFactory(
        owner=deal.owner, account=deal.account, opportunity=deal, kind=kind, content=content, occurred_at=at(when), recorded_at=at(when)
    )
