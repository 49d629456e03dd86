"""商机: the board by stage (drag, or "move to" on a phone), a deal's page, edit, won / lost / reopen."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Sum
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from xiaoguan.activities.selectors import activity_list_visible_to
from xiaoguan.core.clock import clock_now, clock_today, day_start
from xiaoguan.core.errors import DomainError
from xiaoguan.engagement.selectors import touch_event_list_visible_to
from xiaoguan.opportunities.models import Opportunity, Pipeline
from xiaoguan.opportunities.selectors import opportunity_list_visible_to, opportunity_search, stage_history_list, stage_list
from xiaoguan.opportunities.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_move_stage,
    opportunity_update,
)
from xiaoguan.opportunities.services import (
    opportunity_reopen as opportunity_reopen_service,
)
from xiaoguan.org.models import Role
from xiaoguan.org.selectors import user_list_visible_to
from xiaoguan.org.visibility import can_change
from xiaoguan.receivables.selectors import invoice_list_visible_to
from xiaoguan.web.forms import BoardFilterForm, LostForm, OpportunityEditForm, StageMoveForm
from xiaoguan.web.views.common import (
    AuthedRequest,
    edit_submit,
    error_status,
    forbidden,
    form_take_error,
    history_rows,
    works_sales,
)

CARDS_PER_COLUMN = 20
BOARD_TARGET = "board"
INFO_TARGET = "deal-info"


def _board_context(request: AuthedRequest, params: QueryDict) -> dict[str, Any]:
    """Columns of open deals per stage (biggest first), plus this month's wins; the filters come from `params`."""
    user = request.user
    owners = user_list_visible_to(user=user).filter(is_active=True, role__in=[Role.REP, Role.MANAGER]).order_by("name")
    form = BoardFilterForm(params, owners=owners)
    data = form.cleaned_data if form.is_valid() else {}
    pipeline = data.get("pipeline") or Pipeline.objects.filter(external_id="standard").first() or Pipeline.objects.order_by("pk").first()
    if pipeline is None:
        return {"form": form, "pipeline": None, "columns": []}
    stages = list(stage_list(pipeline=pipeline))
    won_stage = next((s for s in stages if s.is_won), None)
    open_stages = [s for s in stages if won_stage is None or s.position < won_stage.position]

    deals = opportunity_search(user=user, query=data.get("q") or "", pipeline=pipeline)
    if data.get("owner"):
        deals = deals.filter(owner=data["owner"])
    open_deals = deals.filter(status=Opportunity.Status.OPEN)
    totals: dict[int, tuple[int, Any]] = {
        row["stage"]: (row["n"], row["total"])
        for row in open_deals.order_by().values("stage").annotate(n=Count("*"), total=Sum("amount"))
    }
    biggest_first = (F("amount").desc(nulls_last=True), "-pk")
    columns = [
        {
            "stage": stage,
            "cards": list(open_deals.filter(stage=stage).order_by(*biggest_first)[:CARDS_PER_COLUMN]),
            "count": totals.get(stage.pk, (0, None))[0],
            "total": totals.get(stage.pk, (0, None))[1],
            "won": False,
        }
        for stage in open_stages
    ]
    if won_stage is not None:
        won = deals.filter(status=Opportunity.Status.WON, closed_at__gte=day_start(clock_today().replace(day=1)))
        won_totals = won.order_by().aggregate(n=Count("*"), total=Sum("amount"))
        columns.append({
            "stage": won_stage, "cards": list(won.order_by("-closed_at", "-pk")[:CARDS_PER_COLUMN]),
            "count": won_totals["n"], "total": won_totals["total"], "won": True,
        })
    return {
        "form": form,
        "pipeline": pipeline,
        "columns": columns,
        "move_stages": [*open_stages, *([won_stage] if won_stage else [])],
        "show_owner_filter": owners.count() > 1,
        "can_move": works_sales(user),
        "cards_cap": CARDS_PER_COLUMN,
    }


@login_required
def opportunity_board(request: AuthedRequest) -> HttpResponse:
    context = _board_context(request, request.GET)
    if request.htmx.target == BOARD_TARGET:
        return render(request, "web/opportunities/board.html#board", context)
    return render(request, "web/opportunities/board.html", context)


def _detail_context(request: AuthedRequest, opportunity: Opportunity, **forms: Any) -> dict[str, Any]:
    user = request.user
    return {
        "opportunity": opportunity,
        "can_edit": can_change(user=user, owner=opportunity.owner),
        "stage_history": list(stage_history_list(opportunity=opportunity)),
        "activities": list(activity_list_visible_to(user=user).filter(opportunity=opportunity).order_by("-occurred_at", "-pk")[:50]),
        "touch_events": list(touch_event_list_visible_to(user=user).filter(opportunity=opportunity).order_by("-occurred_at", "-pk")[:20]),
        "invoices": list(invoice_list_visible_to(user=user).filter(opportunity=opportunity).order_by("-issued_on")[:20]),
        "history": history_rows(subject=opportunity, viewer=user),
        "move_form": forms.get("move_form") or StageMoveForm(opportunity=opportunity, initial={"stage": opportunity.stage.key}),
        "lost_form": forms.get("lost_form") or LostForm(),
    }


def _info_context(request: AuthedRequest, opportunity: Opportunity, **extra: Any) -> dict[str, Any]:
    """What the deal's information card, page head and change history need, for the HTMX answers that redraw them."""
    user = request.user
    return {
        "opportunity": opportunity,
        "can_edit": can_change(user=user, owner=opportunity.owner),
        "history": history_rows(subject=opportunity, viewer=user),
        **extra,
    }


@login_required
def opportunity_detail(request: AuthedRequest, external_id: str) -> HttpResponse:
    opportunity = get_object_or_404(opportunity_list_visible_to(user=request.user), external_id=external_id)
    if request.htmx.target == INFO_TARGET:  # the edit form's cancel
        return render(request, "web/opportunities/detail.html#info", _info_context(request, opportunity))
    return render(request, "web/opportunities/detail.html", _detail_context(request, opportunity))


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: AuthedRequest, external_id: str) -> HttpResponse:
    """Edit the deal's details (not its stage or status: those have their own actions), inline or as a small page."""
    user = request.user
    opportunity = get_object_or_404(opportunity_list_visible_to(user=user), external_id=external_id)
    if not can_change(user=user, owner=opportunity.owner):
        return forbidden(request)
    inline = request.htmx.target == INFO_TARGET
    template = "web/opportunities/edit.html#form" if inline else "web/opportunities/edit.html"
    form = OpportunityEditForm(request.POST or None, initial=OpportunityEditForm.initial_from(opportunity))
    return edit_submit(
        request, form=form, record=opportunity, template=template,
        context={"opportunity": opportunity, "form": form, "inline": inline},
        save=lambda values: opportunity_update(opportunity=opportunity, by=user, now=clock_now(), values=values),
        saved_inline=lambda: render(request, "web/opportunities/detail.html#saved", _info_context(request, opportunity, saved=True)),
        detail_url=reverse("web:opportunity_detail", args=[opportunity.external_id]), saved_message=_("修改已保存。"),
    )


@login_required
@require_POST
def opportunity_move(request: AuthedRequest, external_id: str) -> HttpResponse:
    """Move to a stage: from the board (drag or the phone's select, answered with the re-drawn board) or the deal page."""
    opportunity = get_object_or_404(opportunity_list_visible_to(user=request.user), external_id=external_id)
    form = StageMoveForm(request.POST, opportunity=opportunity)
    on_board = request.htmx.target == BOARD_TARGET
    error, status = "", 200
    if form.is_valid():
        try:
            opportunity_move_stage(opportunity=opportunity, stage=form.cleaned_data["stage"], by=request.user, now=clock_now())
        except DomainError as exc:
            error, status = exc.message, error_status(exc)
    else:
        error, status = " ".join(str(e) for e in form.errors.get("stage", [])) or _("请选择阶段"), 422
    if on_board:
        context = _board_context(request, request.POST)
        context["board_error"] = error
        context["moved"] = None if error else opportunity
        return render(request, "web/opportunities/board.html#board", context, status=status)
    if error:
        if not form.errors:
            form.add_error(None, error)
        return render(request, "web/opportunities/detail.html", _detail_context(request, opportunity, move_form=form), status=status)
    messages.success(request, _("已移至“%(stage)s”。") % {"stage": opportunity.stage.name})
    return redirect("web:opportunity_detail", external_id=opportunity.external_id)


def _close_action(request: AuthedRequest, opportunity: Opportunity, action: Any, success: str) -> HttpResponse:
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "web/opportunities/detail.html", _detail_context(request, opportunity), status=error_status(exc))
    messages.success(request, success)
    return redirect("web:opportunity_detail", external_id=opportunity.external_id)


@login_required
@require_POST
def opportunity_won(request: AuthedRequest, external_id: str) -> HttpResponse:
    opportunity = get_object_or_404(opportunity_list_visible_to(user=request.user), external_id=external_id)
    return _close_action(
        request, opportunity, lambda: opportunity_close_won(opportunity=opportunity, by=request.user, now=clock_now()), _("恭喜，商机已赢单！")
    )


@login_required
@require_POST
def opportunity_reopen(request: AuthedRequest, external_id: str) -> HttpResponse:
    opportunity = get_object_or_404(opportunity_list_visible_to(user=request.user), external_id=external_id)
    return _close_action(
        request, opportunity, lambda: opportunity_reopen_service(opportunity=opportunity, by=request.user, now=clock_now()), _("商机已重新打开。")
    )


@login_required
@require_POST
def opportunity_lost(request: AuthedRequest, external_id: str) -> HttpResponse:
    """Lose the deal. Without a reason the service refuses; the form says so and nothing changes."""
    opportunity = get_object_or_404(opportunity_list_visible_to(user=request.user), external_id=external_id)
    form = LostForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            opportunity_close_lost(
                opportunity=opportunity, by=request.user, now=clock_now(),
                reason=form.cleaned_data["reason"], competitor=form.cleaned_data["competitor"],
            )
        except DomainError as exc:
            form_take_error(form, exc)
            status = error_status(exc)
        else:
            messages.success(request, _("商机已标记为输单。"))
            url = reverse("web:opportunity_detail", args=[opportunity.external_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        return render(request, "web/opportunities/detail.html#lost_form", {"opportunity": opportunity, "lost_form": form}, status=status)
    return render(request, "web/opportunities/detail.html", _detail_context(request, opportunity, lost_form=form), status=status)

