"""The lead clock's numbers (LeadPolicy rows, nearest team up the tree wins) and the due times they give.

First contact and escalations count business minutes (xiaoguan.worktime: team hours, holidays, make-up days);
the pool return counts calendar days since the lead was last touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

from django.urls import NoReverseMatch, reverse

from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.leads.models import Lead, LeadPolicy
from xiaoguan.org.models import Team
from xiaoguan.worktime.selectors import business_time_add


@dataclass(frozen=True)
class Policy:
    first_contact_minutes: int = 60
    escalate_manager_minutes: int = 120
    escalate_second_minutes: int = 240
    pool_return_days: int = 7
    pool_claim_daily_limit: int = 10


DEFAULT_POLICY = Policy()
# Read on every capture: a per-process copy (30 s; an edit saved in this process drops it at once).
_policy_cache = ProcessCache("leads.policy", seconds=30.0, models=(LeadPolicy, Team))


def _policies() -> tuple[dict[int | None, Policy], dict[int, str], dict[int, str]]:
    """The policies by team, the paths of the teams that have one, and a memo of other teams' paths."""

    def load() -> tuple[dict[int | None, Policy], dict[int, str], dict[int, str]]:
        rows = {
            p.team_id: Policy(p.first_contact_minutes, p.escalate_manager_minutes, p.escalate_second_minutes, p.pool_return_days, p.pool_claim_daily_limit)
            for p in LeadPolicy.objects.all()
        }
        paths = dict(Team.objects.filter(pk__in=[k for k in rows if k is not None]).values_list("pk", "path")) if len(rows) > 1 else {}
        return rows, paths, {}

    return _policy_cache.get("policies", load)


def lead_policy_for(*, team_id: int | None) -> Policy:
    rows, paths, team_paths = _policies()
    if team_id is not None and paths:
        if team_id not in team_paths:
            team_paths[team_id] = Team.objects.filter(pk=team_id).values_list("path", flat=True).first() or ""
        path = team_paths[team_id]
        # The deepest team on the path that has its own policy.
        best = max((p for t, p in paths.items() if path.startswith(p)), key=len, default=None)
        if best is not None:
            return rows[next(t for t, p in paths.items() if p == best)]
    return rows.get(None, DEFAULT_POLICY)


def first_contact_due(*, assigned_at: datetime, team_id: int | None) -> datetime:
    policy = lead_policy_for(team_id=team_id)
    return business_time_add(start=assigned_at, minutes=policy.first_contact_minutes, team_id=team_id)


def escalation_due(*, assigned_at: datetime, team_id: int | None, level: int) -> datetime:
    policy = lead_policy_for(team_id=team_id)
    minutes = policy.escalate_manager_minutes if level == 1 else policy.escalate_second_minutes
    return business_time_add(start=assigned_at, minutes=minutes, team_id=team_id)


def pool_return_due(*, touched_at: datetime, team_id: int | None) -> datetime:
    return touched_at + timedelta(days=lead_policy_for(team_id=team_id).pool_return_days)


@lru_cache(maxsize=1)
def _lead_url_parts() -> tuple[str, str]:
    head, _sep, tail = reverse("web:lead_detail", args=["__ID__"]).partition("__ID__")
    return head, tail


def lead_link(lead: Lead) -> str:
    """The lead's page (resolved once: the sweep links a thousand leads a batch)."""
    try:
        head, tail = _lead_url_parts()
    except NoReverseMatch:  # a deployment serving only the API has no pages to link to
        return ""
    return f"{head}{quote(lead.external_id)}{tail}"
