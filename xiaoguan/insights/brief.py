"""The weekly brief (周例会简报) for a manager: what last week's lead pool was worth, where deals are stuck, which reps
need help and how the forecast moved — everything about the people the viewer may see, nothing else.

The brief of week W (a Monday) reviews the seven days before it, [W − 7 days, W): new leads, first responses,
records typed. The pipeline sections (stuck stages, stale deals) are the pipeline as it stands when the brief is read,
because that is what the meeting acts on.

Stuck stages: for each stage, how long the viewer's deals usually sit in it is measured on their own finished stays
(a stay ends when the deal enters another stage or closes) over the last year. A deal open in the stage longer than 3
of 4 finished stays lasted (the 75th percentile) is stuck there. Stages are ranked by how far the typical open deal's
time so far exceeds the usual stay (median of open ages ÷ median finished stay); the top three with any stuck deal
are shown with counts and amounts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import day_start, org_tz
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.insights.authenticity import authenticity_report_recent
from xiaoguan.insights.drill import Drill, deal_condition, drill_register, param_int
from xiaoguan.insights.dwell import dwell_compute
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.insights.models import ForecastSnapshot
from xiaoguan.insights.snapshots import snapshot_scopes_visible
from xiaoguan.leads.models import Lead
from xiaoguan.leads.selectors import SlaStats, lead_list_visible_to, lead_sla_stats
from xiaoguan.opportunities.models import Opportunity, Stage, StageHistory
from xiaoguan.opportunities.rules import stale_findings
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.visibility import SEE_ALL_ROLES

DAY_S = 86_400.0
NORM_DAYS = 365  # finished stays this far back set what is usual for a stage
NORM_MIN_STAYS = 5  # fewer finished stays than this: no norm, the stage is not judged
STUCK_TOP = 3
FIRST_CONTACT_FALLBACK = timedelta(hours=2)  # seeds: first response within 2 hours
TYPED_LOOKBACK = timedelta(days=60)  # records typed in the week count when they tell of the 60 days before it
SLOT_SECONDS = 600
_stale = ProcessCache("insights.brief_stale", seconds=SLOT_SECONDS, shared=True)
_briefs = ProcessCache("insights.weekly_brief", seconds=SLOT_SECONDS, shared=True)
# A rep "needs help" past any of these lines (seeds: honest records, first response within the SLA, no 躺单).
FLAG_RATE_HELP = 0.10
FLAG_MIN_HELP = 2
SLA_MISSES_HELP = 3
STALE_HELP = 3


@dataclass(frozen=True)
class LeadPoolQuality:
    new: int
    new_before: int  # the week before, for the trend
    valid: int  # not disqualified (无效)
    sources: list[tuple[str, int]]  # label, count; largest first
    sla: SlaStats  # first responses of the leads assigned in the week
    due: int  # assigned leads whose first-contact deadline has passed or was met
    missed: int  # of those, contacted after the deadline or not at all

    @property
    def valid_share(self) -> float | None:
        return self.valid / self.new if self.new else None

    @property
    def sla_met_rate(self) -> float | None:
        return (self.due - self.missed) / self.due if self.due else None


@dataclass(frozen=True)
class StuckStage:
    pipeline: str
    stage: str
    stage_pk: int
    open_deals: int
    stuck: int
    stuck_amount: float
    median_days: float  # typical time so far of the open deals in the stage
    usual_days: float  # median finished stay
    p75_days: float

    @property
    def ratio(self) -> float:
        return self.median_days / self.usual_days if self.usual_days > 0 else float("inf")


@dataclass
class RepHelp:
    rep: User
    records: int = 0
    flagged: int = 0
    assigned: int = 0
    missed: int = 0
    stale_deals: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def flag_rate(self) -> float | None:
        return self.flagged / self.records if self.records else None


@dataclass(frozen=True)
class ForecastChange:
    team: Team | None
    current: ForecastSnapshot | None
    previous: ForecastSnapshot | None

    @property
    def comparable(self) -> bool:
        return self.current is not None and self.previous is not None and self.current.quarter_start == self.previous.quarter_start

    @property
    def landing_change(self) -> float | None:
        if self.current is None or self.previous is None or not self.comparable:
            return None
        return self.current.landing - self.previous.landing


@dataclass(frozen=True)
class WeeklyBrief:
    week: date
    since: datetime
    until: datetime
    leads: LeadPoolQuality
    stuck: list[StuckStage]
    reps: list[RepHelp]  # the reps needing help, most reasons first
    reps_considered: int
    forecast: list[ForecastChange]


def brief_window(week: date) -> tuple[datetime, datetime]:
    """The seven days the brief of `week` reviews."""
    return day_start(week - timedelta(days=7)), day_start(week)


def first_contact_late(*, assigned_at: datetime | None, contact: datetime | None, deadline: datetime | None, now: datetime) -> bool | None:
    """Whether a lead's first contact came after its deadline (True), in time (False), or it is too early to say
    (None). A lead with no deadline of its own (imported history, a capture before the lead clock) is held to the
    seeds' line, 2 hours after assignment."""
    if deadline is None:
        if assigned_at is None:
            return None
        deadline = assigned_at + FIRST_CONTACT_FALLBACK
    if contact is None:
        return True if deadline < now else None
    return contact > deadline


def lead_pool_quality(*, user: User, owner_ids: frozenset[int], whole: bool, since: datetime, until: datetime, now: datetime) -> LeadPoolQuality:
    """New leads of [since, until) of the viewer's people (and, for a viewer who sees everything and narrowed nothing,
    the ones nobody owns yet), their valid share and sources, and first responses against each lead's own deadline."""
    leads = lead_list_visible_to(user=user)
    mine = leads if whole else leads.filter(owner_id__in=list(owner_ids))
    new = mine.filter(created_at__gte=since, created_at__lt=until)
    statuses = Counter(new.values_list("status", flat=True))
    labels = dict(Lead.Source.choices)
    sources = Counter(new.values_list("source", flat=True))
    assigned = mine.filter(assigned_at__gte=since, assigned_at__lt=until)
    due = missed = 0
    for assigned_at, contact, deadline in assigned.values_list("assigned_at", "first_contact_at", "first_contact_due_at"):
        late = first_contact_late(assigned_at=assigned_at, contact=contact, deadline=deadline, now=now)
        if late is None:
            continue  # its deadline is still running
        due += 1
        missed += late
    return LeadPoolQuality(
        new=sum(statuses.values()),
        new_before=mine.filter(created_at__gte=since - (until - since), created_at__lt=since).count(),
        valid=sum(n for status, n in statuses.items() if status != Lead.Status.DISQUALIFIED),
        sources=[(str(labels.get(code, code)), n) for code, n in sources.most_common()],
        sla=lead_sla_stats(leads=assigned, since=since, now=min(now, until)),
        due=due,
        missed=missed,
    )


def stuck_stages(*, owner_ids: frozenset[int], now: datetime, top: int = STUCK_TOP) -> list[StuckStage]:
    """The stages where the viewer's open deals sit longest relative to the usual stay there (module docstring).

    The usual stay is the cockpit's own dwell measure (insights/dwell.py: stays that ended in the last year, the same
    median and P75 the 阶段停留 page shows); each open deal's time so far is counted from its latest entry into the
    stage it is in (its creation when it has none)."""
    today = now.astimezone(org_tz()).date()
    year = CockpitFilter(
        period="custom", start=today - timedelta(days=NORM_DAYS), end=today, region=None, team=None, rep=None,
        product_line="", pipeline=None, owner_ids=owner_ids,
    )  # fmt: skip
    norms = {
        row.stage.pk: row for pipeline in dwell_compute(cockpit=year, now=now) for row in pipeline.stages
        if row.completed >= NORM_MIN_STAYS and row.median_days is not None and row.p75_days is not None
    }  # fmt: skip
    if not norms:
        return []
    entered = StageHistory.objects.filter(opportunity=OuterRef("pk"), stage=OuterRef("stage"), entered_at__lte=now).order_by("-entered_at")
    deals = (
        Opportunity.objects.filter(owner_id__in=sorted(owner_ids), status=Opportunity.Status.OPEN, created_at__lte=now, stage_id__in=list(norms))
        .annotate(entered=Subquery(entered.values("entered_at")[:1])).values_list("stage_id", "amount", "created_at", "entered")
    )
    ages: dict[int, list[tuple[float, float]]] = defaultdict(list)  # stage -> (days so far, amount)
    for stage_pk, amount, created, since in deals:
        ages[stage_pk].append(((now - (since or created)).total_seconds() / DAY_S, float(amount or 0)))
    found: list[StuckStage] = []
    for stage_pk, open_ages in ages.items():
        norm = norms[stage_pk]
        p75, usual = float(norm.p75_days or 0.0), float(norm.median_days or 0.0)
        stuck = [(days, amount) for days, amount in open_ages if days > p75]
        if not stuck:
            continue
        found.append(StuckStage(
            pipeline=norm.stage.pipeline.name, stage=norm.stage.name, stage_pk=stage_pk, open_deals=len(open_ages), stuck=len(stuck),
            stuck_amount=sum(amount for _days, amount in stuck), median_days=median(d for d, _a in open_ages),
            usual_days=usual, p75_days=p75,
        ))
    found.sort(key=lambda s: (-s.ratio, -s.stuck_amount, s.stage_pk))
    return found[:top]


def reps_needing_help(*, reps: list[User], since: datetime, until: datetime, now: datetime) -> list[RepHelp]:
    """Each rep's week: share of their records the authenticity scoring flags, first contacts past the deadline, deals
    the stale rule finds now. Returned: every rep, with `reasons` filled for those past a line."""
    by_rep = {rep.pk: RepHelp(rep=rep) for rep in reps}
    flagged = {f.pk for f in authenticity_report_recent(now=now).flagged}
    # Typed in the week; the bound on when they happened lets the (owner, occurred_at) index do the work.
    typed = Activity.objects.filter(
        owner_id__in=list(by_rep), occurred_at__gte=since - TYPED_LOOKBACK, occurred_at__lt=until, recorded_at__gte=since, recorded_at__lt=until,
    )
    for pk, owner in typed.values_list("pk", "owner_id"):
        by_rep[owner].records += 1
        by_rep[owner].flagged += pk in flagged
    for owner, assigned_at, contact, deadline in Lead.objects.filter(owner_id__in=list(by_rep), assigned_at__gte=since, assigned_at__lt=until).values_list(
        "owner_id", "assigned_at", "first_contact_at", "first_contact_due_at"
    ):
        by_rep[owner].assigned += 1
        by_rep[owner].missed += bool(first_contact_late(assigned_at=assigned_at, contact=contact, deadline=deadline, now=now))
    stale = stale_deals_by_owner(now=now)
    for pk, help_ in by_rep.items():
        help_.stale_deals = stale.get(pk, 0)
        rate = help_.flag_rate
        if rate is not None and rate >= FLAG_RATE_HELP and help_.flagged >= FLAG_MIN_HELP:
            help_.reasons.append(_("跟进记录 %(flagged)s/%(records)s 条可能未发生") % {"flagged": help_.flagged, "records": help_.records})
        if help_.missed >= SLA_MISSES_HELP:
            help_.reasons.append(_("%(n)s 条线索超过首次联系时限") % {"n": help_.missed})
        if help_.stale_deals >= STALE_HELP:
            help_.reasons.append(_("%(n)s 个商机停滞") % {"n": help_.stale_deals})
    return sorted(by_rep.values(), key=lambda h: (-len(h.reasons), -(h.missed + h.stale_deals + h.flagged), h.rep.name))


def stale_deals_by_owner(*, now: datetime) -> dict[int, int]:
    """How many deals of each owner the stale rule (opportunities/rules.py) finds, as of the start of the current
    10-minute slot: it reads every open deal of the company, so one reading serves every brief opened in the slot."""
    slot = now - timedelta(seconds=now.timestamp() % SLOT_SECONDS)

    def load() -> dict[int, int]:
        deals: dict[int, set[int]] = defaultdict(set)
        for finding in stale_findings(now=slot):
            deals[finding.opportunity.owner_id].add(finding.opportunity.pk)
        return {owner: len(pks) for owner, pks in deals.items()}

    return _stale.get(slot.isoformat(), load)


def forecast_changes(*, user: User, week: date) -> list[ForecastChange]:
    """This week's snapshot against last week's, for the viewer's own scope and (for a director) each region."""
    visible = snapshot_scopes_visible(user=user)
    own_team = user.team_id if user.role not in SEE_ALL_ROLES else None
    scopes = [t for t in visible if t is None or t.kind == Team.Kind.REGION or t.pk == own_team]
    rows = ForecastSnapshot.objects.filter(week__in=[week, week - timedelta(days=7)])
    found = {(s.week, s.team_id): s for s in rows}
    return [
        ForecastChange(team=t, current=found.get((week, t.pk if t else None)), previous=found.get((week - timedelta(days=7), t.pk if t else None)))
        for t in scopes
    ]


def weekly_brief(*, user: User, owner_ids: frozenset[int], whole: bool, week: date, now: datetime) -> WeeklyBrief:
    """The brief of `week` (a Monday) for the people in `owner_ids` (the cockpit filter's, within what `user` sees);
    `whole` when nothing narrowed the viewer's scope (unowned leads count then for a viewer who sees everything).

    Kept per process for the current 10-minute slot: a brief is read several times around a meeting, and its
    pipeline sections read the whole company's open deals."""
    slot = now - timedelta(seconds=now.timestamp() % SLOT_SECONDS)
    key = f"{get_language()}:{user.pk}:{week.isoformat()}:{whole}:{slot.isoformat()}:{hash(tuple(sorted(owner_ids)))}"
    return _briefs.get(key, lambda: _weekly_brief(user=user, owner_ids=owner_ids, whole=whole, week=week, now=now))


def _weekly_brief(*, user: User, owner_ids: frozenset[int], whole: bool, week: date, now: datetime) -> WeeklyBrief:
    since, until = brief_window(week)
    reps = list(User.objects.filter(pk__in=list(owner_ids), role=Role.REP, is_active=True).select_related("team").order_by("name"))
    helps = reps_needing_help(reps=reps, since=since, until=until, now=now)
    return WeeklyBrief(
        week=week, since=since, until=until,
        leads=lead_pool_quality(user=user, owner_ids=owner_ids, whole=whole and user.role in SEE_ALL_ROLES, since=since, until=until, now=now),
        stuck=stuck_stages(owner_ids=owner_ids, now=now),
        reps=[h for h in helps if h.reasons],
        reps_considered=len(reps),
        forecast=forecast_changes(user=user, week=week),
    )


# Drill-downs of the brief's numbers (the cockpit's drill page lists the records, through the visibility selectors).


def _param_week(params: Mapping[str, str]) -> date | None:
    try:
        day = date.fromisoformat(params.get("week") or "")
    except ValueError:
        return None
    return day if day.weekday() == 0 else None


@drill_register("brief_leads_new")
def _leads_new(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    week = _param_week(params)
    if week is None:
        return None
    since, until = brief_window(week)
    return Drill(
        kind="leads", title=_("%(day)s 所在周之前 7 天的新线索") % {"day": week.isoformat()},
        condition=Q(owner_id__in=sorted(cockpit.owner_ids), created_at__gte=since, created_at__lt=until), order_by=("-created_at",),
    )


@drill_register("brief_sla_missed")
def _sla_missed(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    week = _param_week(params)
    now = param_int(params, "at")
    if week is None or now is None:
        return None
    since, until = brief_window(week)
    at = datetime.fromtimestamp(now, tz=org_tz())
    late = Q(first_contact_at__gt=F("first_contact_due_at")) | Q(first_contact_at__isnull=True, first_contact_due_at__lt=at)
    return Drill(
        kind="leads", title=_("超过首次联系时限的线索（%(day)s 之前 7 天分配）") % {"day": week.isoformat()},
        condition=Q(owner_id__in=sorted(cockpit.owner_ids), assigned_at__gte=since, assigned_at__lt=until, first_contact_due_at__isnull=False) & late,
        order_by=("assigned_at",),
    )


@drill_register("brief_stuck")
def _stuck(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    """Open deals of the stage that have sat there since before `cutoff` (the brief's now − the stage's usual P75)."""
    stage_pk, cutoff_s = param_int(params, "stage"), param_int(params, "cutoff")
    stage = Stage.objects.filter(pk=stage_pk).select_related("pipeline").first() if stage_pk else None
    if stage is None or cutoff_s is None:
        return None
    cutoff = datetime.fromtimestamp(cutoff_s, tz=org_tz())
    entries = StageHistory.objects.filter(opportunity=OuterRef("pk"), stage=stage)
    condition = (
        deal_condition(cockpit) & Q(status=Opportunity.Status.OPEN, stage=stage)
        & ~Exists(entries.filter(entered_at__gte=cutoff)) & (Q(Exists(entries)) | Q(created_at__lt=cutoff))
    )
    return Drill(kind="deals", title=_("卡在“%(stage)s”的商机") % {"stage": stage.name}, condition=condition, order_by=("created_at",))
