"""周例会简报: the weekly brief of a manager's team, and the meeting's decisions turned into to-dos.

The numbers come from insights/brief.py for the people the viewer may see (the cockpit filter's `owner_ids`; a
director may narrow it to a region or team). A decision is written by the activities service, which checks that the
owner is in the manager's line.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xiaoguan.activities.selectors import meeting_decision_list
from xiaoguan.activities.services import meeting_decision_create
from xiaoguan.core.clock import clock_now, clock_today, day_start
from xiaoguan.core.errors import DomainError
from xiaoguan.insights.brief import weekly_brief
from xiaoguan.insights.filters import CockpitFilter, cockpit_filter_parse
from xiaoguan.insights.snapshots import week_monday
from xiaoguan.org.models import Role, User
from xiaoguan.org.selectors import user_list_visible_to
from xiaoguan.web.views.cockpit import cockpit_choices, drill_url
from xiaoguan.web.views.common import AuthedRequest, error_status, forbidden, form_take_error, leads_team

SCOPE_PARAMS = ("region", "team")


class DecisionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("决议"), max_length=200, widget=forms.TextInput(attrs={"placeholder": gettext_lazy("例如：复盘三个报价谈判超期的商机")}),
    )
    owner = forms.ChoiceField(label=gettext_lazy("负责人"))
    deliverable = forms.CharField(
        label=gettext_lazy("交付物"), max_length=200, widget=forms.TextInput(attrs={"placeholder": gettext_lazy("例如：每个商机的卡点与下一步计划")}),
    )
    due = forms.DateField(label=gettext_lazy("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, owners: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {u.external_id: u for u in owners}
        self.fields["owner"].choices = [("", "—")] + [(u.external_id, u.name) for u in owners]  # type: ignore[attr-defined]


def decision_owners(user: User) -> list[User]:
    """Who a decision may go to: the active sales people in the viewer's line (the viewer too)."""
    people = user_list_visible_to(user=user).filter(is_active=True, role__in=[Role.REP, Role.MANAGER, Role.DIRECTOR])
    return list(people.order_by("team__path", "name"))


def brief_week(value: str | None, *, today: date) -> date:
    """The Monday of the week asked for (any day of it will do); this week when absent, unreadable or ahead."""
    this_week = week_monday(today)
    try:
        asked = week_monday(date.fromisoformat(value)) if value else this_week
    except ValueError:
        return this_week
    return min(asked, this_week)


def _scope_whole(cockpit: CockpitFilter) -> bool:
    return cockpit.region is None and cockpit.team is None and cockpit.rep is None


def _context(request: AuthedRequest, *, week: date, form: DecisionForm | None = None) -> dict[str, Any]:
    user, now = request.user, clock_now()
    cockpit = cockpit_filter_parse(user=user, params=request.GET if request.method == "GET" else request.POST, today=clock_today())
    brief = weekly_brief(user=user, owner_ids=cockpit.owner_ids, whole=_scope_whole(cockpit), week=week, now=now)
    this_week = week_monday(clock_today())
    owners = decision_owners(user)
    decisions = [
        {"decision": d, "status": _status(d.task.done_at, d.task.due_at, now)} for d in meeting_decision_list(user=user, week=week)
    ]
    scope_query = {k: v for k, v in cockpit.query().items() if k in SCOPE_PARAMS}
    at = int(now.timestamp())
    total_new = brief.leads.new or 1
    return {
        "brief": brief,
        "stuck": [
            {"stage": s, "url": drill_url(cockpit, "brief_stuck", stage=s.stage_pk, cutoff=int((now - timedelta(days=s.p75_days)).timestamp()))}
            for s in brief.stuck
        ],
        "source_rows": [(label, (n, n / total_new)) for label, n in brief.leads.sources],
        "links": {
            "leads_new": drill_url(cockpit, "brief_leads_new", week=week.isoformat()),
            "sla_missed": drill_url(cockpit, "brief_sla_missed", week=week.isoformat(), at=at),
        },
        "scope_keep": [("week", week.isoformat())],
        "week": week,
        "week_end": week - timedelta(days=1),
        "this_week": week == this_week,
        "previous_url": "?" + urlencode({**scope_query, "week": (week - timedelta(days=7)).isoformat()}),
        "next_url": "?" + urlencode({**scope_query, "week": (week + timedelta(days=7)).isoformat()}) if week < this_week else "",
        "cockpit": cockpit,
        "cockpit_choices": cockpit_choices(user=user, cockpit=cockpit),
        "decisions": decisions,
        "form": form or DecisionForm(owners=owners, initial={"due": clock_today() + timedelta(days=7)}),
        "may_decide": week == this_week and bool(owners),
        "forecast_url": reverse("web:cockpit_forecast") + ("?" + urlencode(scope_query) if scope_query else ""),
    }


def _status(done_at: datetime | None, due_at: datetime, now: datetime) -> tuple[str, str]:
    if done_at is not None:
        return _("已完成"), "green"
    if due_at < now:
        return _("已逾期"), "red"
    return _("进行中"), "blue"


@login_required
def brief_page(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    week = brief_week(request.GET.get("week"), today=clock_today())
    return render(request, "web/insights/brief.html", _context(request, week=week))


@login_required
@require_POST
def brief_decision(request: AuthedRequest) -> HttpResponse:
    """A decision of this week's meeting: a to-do for its owner, with due date and deliverable."""
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    today = clock_today()
    week = week_monday(today)
    form = DecisionForm(request.POST, owners=decision_owners(user))
    if form.is_valid():
        owner = form.owners.get(form.cleaned_data["owner"])
        due: date = form.cleaned_data["due"]
        try:
            if owner is None:
                raise DomainError(_("请选择负责人"))
            # Due at the end of the chosen day: the to-do sits in the owner's list for that whole day.
            meeting_decision_create(
                by=user, owner=owner, text=form.cleaned_data["text"], deliverable=form.cleaned_data["deliverable"],
                due_at=day_start(due + timedelta(days=1)) - timedelta(minutes=1), week=week, now=clock_now(),
            )
        except DomainError as exc:
            form_take_error(form, exc)
            return render(request, "web/insights/brief.html", _context(request, week=week, form=form), status=error_status(exc))
        messages.success(request, _("已派给 %(owner)s：%(text)s") % {"owner": owner.name, "text": form.cleaned_data["text"]})
        scope = {k: request.POST[k] for k in SCOPE_PARAMS if request.POST.get(k)}
        return redirect(reverse("web:cockpit_brief") + "?" + urlencode({**scope, "week": week.isoformat()}) + "#decisions")
    return render(request, "web/insights/brief.html", _context(request, week=week, form=form), status=422)
