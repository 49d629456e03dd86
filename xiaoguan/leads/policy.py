"""The lead clock's numbers (LeadPolicy rows, nearest team up the tree wins) and the due times they give.

First contact and escalations count business minutes (xiaoguan.worktime: team hours, holidays, make-up days);
the pool return counts calendar days since the lead was last touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

from django.urls import NoReverseMatch, reverse

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
_CACHE_SECONDS = 30.0
_cache: dict[str, object] = {"at": -1e9}


def _policies() -> tuple[dict[int | None, Policy], dict[int, str]]:
    # Read on every capture: a per-process copy refreshed every 30 s (an edit takes effect within that).
    if time.monotonic() - float(_cache["at"]) > _CACHE_SECONDS:  # type: ignore[arg-type]
        rows = {
            p.team_id: Policy(p.first_contact_minutes, p.escalate_manager_minutes, p.escalate_second_minutes, p.pool_return_days, p.pool_claim_daily_limit)
            for p in LeadPolicy.objects.all()
        }
        paths = dict(Team.objects.filter(pk__in=[k for k in rows if k is not None]).values_list("pk", "path")) if len(rows) > 1 else {}
        _cache.update(at=time.monotonic(), rows=rows, paths=paths, team_paths={})
    return _cache["rows"], _cache["paths"]  # type: ignore[return-value]


def policies_changed() -> None:
    _cache["at"] = -1e9


def lead_policy_for(*, team_id: int | None) -> Policy:
    rows, paths = _policies()
    if team_id is not None and paths:
        team_paths: dict[int, str] = _cache["team_paths"]  # type: ignore[assignment]
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
