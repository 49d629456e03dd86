"""工作台: today's and overdue to-dos, leads waiting for a first call, and the user's own numbers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoguan.activities.models import Task
from xiaoguan.activities.selectors import activity_list_by_owners, task_list_open_for, task_list_visible_to
from xiaoguan.activities.services import task_complete, task_reopen
from xiaoguan.core.clock import clock_now, clock_today, day_start
from xiaoguan.core.errors import DomainError
from xiaoguan.customers.selectors import account_list_visible_to
from xiaoguan.leads.models import Lead
from xiaoguan.leads.selectors import lead_list_visible_to
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.org.models import Role, User
from xiaoguan.org.selectors import user_reports
from xiaoguan.receivables.selectors import invoice_list_visible_to
from xiaoguan.targets.selectors import target_list_visible_to
from xiaoguan.web.templatetags.web import icon
from xiaoguan.web.views.common import AuthedRequest, error_status, leads_team, today_bounds, works_sales

TASKS_SHOWN = 30
MAX_TEAM = 500
UNCONTACTED_SHOWN = 8


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    now = clock_now()
    _, tomorrow = today_bounds()
    tasks = list(task_list_open_for(user=user, until=tomorrow).select_related("account", "opportunity", "lead")[:TASKS_SHOWN])
    context: dict[str, Any] = {
        **task_row_context(),
        "now": now,
        "overdue_tasks": [t for t in tasks if t.due_at < now],
        "today_tasks": [t for t in tasks if t.due_at >= now],
        "tasks_capped": TASKS_SHOWN if len(tasks) == TASKS_SHOWN else 0,
    }
    if works_sales(user):
        context["uncontacted_leads"] = list(
            lead_list_visible_to(user=user)
            .filter(owner=user, status__in=[Lead.Status.NEW, Lead.Status.ASSIGNED], first_contact_at__isnull=True)
            .order_by("-created_at")[:UNCONTACTED_SHOWN]
        )
        context.update(_my_numbers(user=user, today=clock_today()))
    if user.role == Role.FINANCE:
        today = clock_today()
        context["invoices_due"] = list(
            invoice_list_visible_to(user=user).filter(paid_on__isnull=True, due_on__lte=today + timedelta(days=7)).order_by("due_on")[:50]
        )
        context["today"] = today
    if user.role in (Role.LEGAL, Role.COMPLIANCE, Role.ENGINEER):
        context["assigned_accounts"] = list(account_list_visible_to(user=user).order_by("name")[:20])
        context["assigned_opportunities"] = list(opportunity_list_visible_to(user=user).order_by("-created_at")[:20])
        context["assigned_leads"] = list(lead_list_visible_to(user=user).order_by("-created_at")[:20])
    return render(request, "web/home.html", context)


def _my_numbers(*, user: User, today: date) -> dict[str, Any]:
    """A rep's own figures; a manager's (or director's) are those of the people they lead.

    Every filter starts with an owner list, so each figure is one indexed range per person, however big the tables.
    """
    week_start = day_start(today - timedelta(days=today.weekday()))
    month_start = day_start(today.replace(day=1))
    team = leads_team(user)
    owners = [user.pk, *user_reports(manager=user).values_list("pk", flat=True)[:MAX_TEAM]] if team else [user.pk]
    mine = activity_list_by_owners(user=user, owners=owners)
    opportunities = opportunity_list_visible_to(user=user).filter(owner_id__in=owners)
    pipeline = opportunities.filter(status=Opportunity.Status.OPEN).aggregate(n=Count("*"), total=Sum("amount"))
    won = opportunities.filter(status=Opportunity.Status.WON, closed_at__gte=month_start).aggregate(n=Count("*"), total=Sum("amount"))
    targets = target_list_visible_to(user=user).filter(period=f"{today:%Y-%m}", product_line="")
    if team:
        targets = targets.filter(scope_kind="team", team=user.team) if user.team is not None else targets.none()
    else:
        targets = targets.filter(scope_kind="user", user=user)
    target = targets.values_list("amount", flat=True).first()
    won_total = won["total"] or Decimal(0)
    days = [today - timedelta(days=i) for i in range(6, -1, -1)]
    # One pass over the (owner, occurred_at) index; grouping by a computed local date would call a function per row.
    per_day = mine.filter(occurred_at__gte=day_start(days[0])).aggregate(**{
        f"d{i}": Count("pk", filter=Q(occurred_at__gte=day_start(day), occurred_at__lt=day_start(day + timedelta(days=1))))
        for i, day in enumerate(days)
    })
    return {
        "team_numbers": team,
        "team_size": len(owners) - 1,
        "activities_this_week": mine.filter(occurred_at__gte=week_start).count(),
        "pipeline_count": pipeline["n"],
        "pipeline_total": pipeline["total"] or Decimal(0),
        "won_count": won["n"],
        "won_total": won_total,
        "target": target,
        "attainment": float(won_total / target) if target else None,
        "chart": {"labels": [date_format(d, "m-d") for d in days], "values": [per_day[f"d{i}"] for i in range(len(days))], "name": _("跟进")},
    }


def task_row_context(task: Task | None = None) -> dict[str, Any]:
    """What a to-do row needs besides the task, worked out once per page rather than once per row."""
    return {
        "task_action": "web:task_undo" if task is not None and task.done_at else "web:task_done",
        "tick_icon": icon("check", 16),
        "clock_icon": icon("clock", 14),
        "log_url": reverse("web:activity_new"),
        "log_label": _("记一笔"),
    }


def _task_action(request: AuthedRequest, external_id: str, *, done: bool) -> HttpResponse:
    task = get_object_or_404(task_list_visible_to(user=request.user), external_id=external_id)
    try:
        if done:
            task_complete(task=task, by=request.user, now=clock_now())
        else:
            task_reopen(task=task, by=request.user)
    except DomainError as exc:
        if request.htmx:
            context = {**task_row_context(task), "task": task, "error": exc.message, "now": clock_now()}
            return render(request, "web/home.html#task_row", context, status=error_status(exc))
        messages.error(request, exc.message)
    if request.htmx:
        return render(request, "web/home.html#task_row", {**task_row_context(task), "task": task, "now": clock_now()})
    return redirect("web:home")


@login_required
@require_POST
def task_done(request: AuthedRequest, external_id: str) -> HttpResponse:
    return _task_action(request, external_id, done=True)


@login_required
@require_POST
def task_undo(request: AuthedRequest, external_id: str) -> HttpResponse:
    return _task_action(request, external_id, done=False)
