"""A small hand-built organisation for the cockpit tests: two regions, a director, the east manager, three reps and the
deals of March 2025 whose funnel, dwell and radar figures the tests work out by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, OpportunityFactory, stage
from xiaoguan.core.clock import org_tz
from xiaoguan.insights.filters import CockpitFilter, cockpit_filter_parse
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.org.models import Role, Team, User

TODAY = date(2025, 4, 10)
MARCH = {"period": "custom", "start": "2025-03-01", "end": "2025-03-31"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=org_tz())


@dataclass
class World:
    hq: Team
    east: Team
    north: Team
    director: User
    manager: User
    a: User  # east
    b: User  # east, no deals
    c: User  # north
    deals: dict[str, Opportunity]

    def cockpit(self, viewer: User, **params: str) -> CockpitFilter:
        return cockpit_filter_parse(user=viewer, params={**MARCH, **params}, today=TODAY)


def deal(owner: User, amount: int, entries: list[tuple[str, str]], *, status: str = "open", closed: str | None = None) -> Opportunity:
    """A standard-pipeline deal with its stage history; its current stage is the last entry."""
    opportunity = OpportunityFactory(
        account=AccountFactory(owner=owner), owner=owner, amount=Decimal(amount), status=status,
        stage=stage(entries[-1][0]) if entries else stage("lead_confirmed"), closed_at=at(closed) if closed else None,
    )  # fmt: skip
    for key, when in entries:
        StageHistory.objects.create(opportunity=opportunity, stage=stage(key), entered_at=at(when))
    return opportunity


def build_world() -> World:
    hq = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=hq)
    north = TeamFactory(name="华北大区", kind=Team.Kind.REGION, parent=hq)
    director = UserFactory(role=Role.DIRECTOR, team=hq, name="总监")
    manager = UserFactory(role=Role.MANAGER, team=east, name="东区经理", manager=director)
    a = UserFactory(role=Role.REP, team=east, manager=manager, name="小安")
    b = UserFactory(role=Role.REP, team=east, manager=manager, name="小白")
    c = UserFactory(role=Role.REP, team=north, name="小陈")
    lc, nd, sd, qn, cs = "lead_confirmed", "needs_diagnosed", "solution_demo", "quote_negotiation", "contract_signed"
    deals = {
        "D1": deal(a, 100_000, [(lc, "2025-03-02"), (nd, "2025-03-05"), (sd, "2025-03-10")]),
        "D2": deal(a, 200_000, [(lc, "2025-03-03"), (nd, "2025-03-08")], status="lost", closed="2025-03-20"),
        "D3": deal(a, 500_000, [(lc, "2025-02-20"), (nd, "2025-03-04"), (sd, "2025-03-06"), (qn, "2025-03-12"), (cs, "2025-03-25")],
                   status="won", closed="2025-03-25"),
        "D4": deal(a, 50_000, [(lc, "2025-03-15")]),
        "D5": deal(c, 70_000, [(lc, "2025-03-02"), (nd, "2025-03-03")]),
        "D6": deal(a, 30_000, [(lc, "2025-03-05"), (nd, "2025-04-02")]),
        "D7": deal(a, 10_000, [(lc, "2025-03-01"), (nd, "2025-03-02"), (lc, "2025-03-04"), (nd, "2025-03-06")]),
        "D8": deal(c, 20_000, [], status="won", closed="2025-03-10"),
    }  # fmt: skip
    return World(hq=hq, east=east, north=north, director=director, manager=manager, a=a, b=b, c=c, deals=deals)
