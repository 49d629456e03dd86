"""团队: a manager's reps side by side — activity, open pipeline, overdue follow-ups, uncontacted leads, last touch.

Every figure is one grouped query filtered on the owner list (and a time range where there is one), so it rides the
(owner, …) indexes and stays fast with millions of activities.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from xiaoguan.activities.selectors import activity_list_by_owners, activity_list_visible_to, task_list_visible_to
from xiaoguan.core.clock import clock_now
from xiaoguan.insights.authenticity import authenticity_report_recent
from xiaoguan.leads.models import Lead
from xiaoguan.leads.selectors import lead_list_visible_to
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.org.models import Team, User
from xiaoguan.org.selectors import team_subtree, user_reports
from xiaoguan.web.forms import TeamFilterForm
from xiaoguan.web.views.common import AuthedRequest, forbidden, leads_team, sees_everything

MAX_REPS = 300
ACTIVITY_WINDOW = timedelta(days=7)


def _per_owner(rows: QuerySet[Any], **aggregates: Any) -> dict[int, dict[str, Any]]:
    """One grouped query: {owner id: {aggregate: value}}."""
    return {row["owner"]: row for row in rows.order_by().values("owner").annotate(**aggregates)}


def _teams_for(user: User) -> QuerySet[Team]:
    if sees_everything(user) or user.team is None:
        return Team.objects.order_by("path") if sees_everything(user) else Team.objects.none()
    return team_subtree(team=user.team).order_by("path")


@login_required
def team(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    form = TeamFilterForm(request.GET, teams=_teams_for(user))
    chosen = form.cleaned_data.get("team") if form.is_valid() else None
    reps = user_reports(manager=user)
    if chosen is not None:
        reps = reps.filter(team__path__startswith=chosen.path)
    now = clock_now()
    last_activity = activity_list_visible_to(user=user).filter(owner=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    people = list(reps.annotate(last_activity_at=Subquery(last_activity))[:MAX_REPS])
    ids = [p.pk for p in people]

    recent = _per_owner(activity_list_by_owners(user=user, owners=ids).filter(occurred_at__gte=now - ACTIVITY_WINDOW), n=Count("*"))
    pipeline = _per_owner(opportunity_list_visible_to(user=user).filter(owner_id__in=ids, status=Opportunity.Status.OPEN), n=Count("*"), total=Sum("amount"))
    overdue = _per_owner(task_list_visible_to(user=user).filter(owner_id__in=ids, done_at__isnull=True, due_at__lt=now), n=Count("*"))
    uncontacted = _per_owner(
        lead_list_visible_to(user=user).filter(
            # The status says it: the first logged contact moves a lead on to "contacted". (Testing first_contact_at too
            # would read every row instead of counting the (owner, status) index.)
            owner_id__in=ids, status__in=[Lead.Status.NEW, Lead.Status.ASSIGNED]
        ),
        n=Count("*"),
    )
    # Per-rep authenticity rates from the insights (the org-wide computation, cached per 10 minutes).
    authenticity = authenticity_report_recent(now=now).by_rep
    rows = [
        {
            "person": p,
            "authenticity": authenticity.get(p.pk),
            "authentic": 1 - authenticity[p.pk].rate if p.pk in authenticity else None,
            "activities": recent.get(p.pk, {}).get("n", 0),
            "open_deals": pipeline.get(p.pk, {}).get("n", 0),
            "open_amount": pipeline.get(p.pk, {}).get("total"),
            "overdue": overdue.get(p.pk, {}).get("n", 0),
            "uncontacted": uncontacted.get(p.pk, {}).get("n", 0),
            "last_activity_at": p.last_activity_at,
            "silent": p.last_activity_at is None or now - p.last_activity_at > timedelta(days=3),
        }
        for p in people
    ]
    totals = {
        key: sum(r[key] or 0 for r in rows) for key in ("activities", "open_deals", "open_amount", "overdue", "uncontacted")
    }
    chart = sorted(rows, key=lambda r: r["activities"])
    context = {
        "form": form,
        "rows": rows,
        "totals": totals,
        "capped": len(people) == MAX_REPS,
        "chart": {"labels": [r["person"].name for r in chart], "values": [r["activities"] for r in chart], "name": _("近 7 天跟进")},
        "show_team_filter": form.fields["team"].queryset.count() > 1,  # type: ignore[attr-defined]
    }
    return render(request, "web/team.html", context)
