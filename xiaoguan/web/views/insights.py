"""洞察 pages for managers: authenticity of activity records, and the three-layer verification report.

Both are read-only; a manager sees the reps of their own team subtree, a director everyone (user_list_visible_to).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from xiaoguan.activities.selectors import activity_list_visible_to
from xiaoguan.core.clock import clock_now
from xiaoguan.insights.authenticity import authenticity_report_recent
from xiaoguan.insights.verification import verification_report
from xiaoguan.org.models import Role, Team
from xiaoguan.org.selectors import user_list_visible_to
from xiaoguan.web.views.common import AuthedRequest, forbidden, leads_team

MAX_FLAGGED_SHOWN = 200
MAX_REPS = 300


@login_required
def authenticity(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    report = authenticity_report_recent(now=clock_now())
    people = {p.pk: p for p in user_list_visible_to(user=user).filter(role=Role.REP)}
    chosen = request.GET.get("rep", "")
    chosen_pk = next((pk for pk, p in people.items() if p.external_id == chosen), None)
    figures = sorted(
        ((people[pk], r) for pk, r in report.by_rep.items() if pk in people), key=lambda pr: (-pr[1].rate, pr[0].name)
    )
    reps = [{"person": person, "figures": r, "authentic": 1 - r.rate} for person, r in figures]
    flagged = [f for f in report.flagged if f.owner_pk in people and (chosen_pk is None or f.owner_pk == chosen_pk)]
    shown = flagged[:MAX_FLAGGED_SHOWN]
    # The records themselves through the one visibility rule: a flag never shows what the viewer may not see.
    records = activity_list_visible_to(user=user).select_related("account", "lead").in_bulk([f.pk for f in shown])
    rows = [{"flag": f, "activity": records[f.pk]} for f in shown if f.pk in records]
    considered = sum(r.activities for _p, r in figures)
    context: dict[str, Any] = {
        "as_of": report.as_of,
        "reps": reps,
        "rows": rows,
        "flagged_total": len(flagged),
        "considered": considered,
        "flagged_rate": (sum(r.flagged for _p, r in figures) / considered) if considered else None,
        "chosen": people.get(chosen_pk) if chosen_pk else None,
        "capped": len(flagged) > MAX_FLAGGED_SHOWN,
    }
    return render(request, "web/insights/authenticity.html", context)


@login_required
def verification(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    reps = list(user_list_visible_to(user=user).filter(role=Role.REP, is_active=True).order_by("team__path", "name")[:MAX_REPS])
    report = verification_report(until=clock_now(), reps=reps)
    teams = {t.pk: t for t in Team.objects.filter(pk__in=[k for k in report.by_team if k is not None])}
    context: dict[str, Any] = {
        "report": report,
        "rep_rows": [{"person": r, "layers": report.by_rep[r.pk]} for r in reps],
        "team_rows": [
            {"team": teams.get(pk) if pk is not None else None, "layers": layers} for pk, layers in report.by_team.items()
        ],
    }
    return render(request, "web/insights/verification.html", context)
