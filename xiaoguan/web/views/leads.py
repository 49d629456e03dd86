"""线索: the inbox with filters and search, a lead's page, new lead, edit, disqualify, convert."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from xiaoguan.activities.selectors import activity_list_visible_to
from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import DomainError
from xiaoguan.customers.selectors import account_search
from xiaoguan.leads.models import Lead
from xiaoguan.leads.selectors import lead_list_visible_to, lead_search
from xiaoguan.leads.services import lead_convert as lead_convert_service
from xiaoguan.leads.services import lead_create, lead_update
from xiaoguan.leads.services import lead_disqualify as lead_disqualify_service
from xiaoguan.org.visibility import can_change, phone_for
from xiaoguan.web.forms import LeadConvertForm, LeadCreateForm, LeadEditForm, LeadFilterForm, ReasonForm
from xiaoguan.web.views.common import (
    AuthedRequest,
    edit_submit,
    forbidden,
    history_rows,
    page_number,
    page_window,
    querystring_without_page,
    render_form_error,
    works_sales,
)

ACCOUNT_CHOICES_SHOWN = 10
INFO_TARGET = "lead-info"


def lead_filters(request: AuthedRequest) -> tuple[LeadFilterForm, dict[str, str]]:
    """The inbox filters from the query string; the export uses the same ones."""
    form = LeadFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    return form, {key: data.get(key) or "" for key in ("q", "status", "source")}


def lead_inbox(request: AuthedRequest, filters: dict[str, str]) -> QuerySet[Lead]:
    """The user's visible leads under the inbox filters (open ones unless a status or "all" is chosen)."""
    status = filters["status"]
    leads = lead_search(
        user=request.user, query=filters["q"], status="" if status == LeadFilterForm.ALL else status, source=filters["source"]
    )
    return leads.exclude(status__in=Lead.CLOSED_STATUSES) if not status else leads


@login_required
def lead_list(request: AuthedRequest) -> HttpResponse:
    form, filters = lead_filters(request)
    context = {
        "form": form,
        "window": page_window(lead_inbox(request, filters), number=page_number(request)),
        "filtered": any(filters.values()),
        "query": querystring_without_page(request),
        "can_create": works_sales(request.user),
    }
    if request.htmx.target == "lead-results":
        return render(request, "web/leads/list.html#results", context)
    return render(request, "web/leads/list.html", context)


def _lead_context(request: AuthedRequest, lead: Lead, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "lead": lead,
        "can_edit": can_change(user=user, owner=lead.owner) and not lead.is_closed,
        "activities": activity_list_visible_to(user=user).filter(lead=lead).order_by("-occurred_at", "-pk")[:50],
        "history": history_rows(subject=lead, viewer=user),
        "disqualify_form": extra.pop("disqualify_form", None) or ReasonForm(),
        **extra,
    }


def _info_context(request: AuthedRequest, lead: Lead, **extra: Any) -> dict[str, Any]:
    """What the lead's information card, page head and change history need, for the HTMX answers that redraw them."""
    user = request.user
    return {
        "lead": lead,
        "can_edit": can_change(user=user, owner=lead.owner) and not lead.is_closed,
        "history": history_rows(subject=lead, viewer=user),
        **extra,
    }


@login_required
def lead_detail(request: AuthedRequest, external_id: str) -> HttpResponse:
    lead = get_object_or_404(lead_list_visible_to(user=request.user), external_id=external_id)
    if request.htmx.target == INFO_TARGET:  # the edit form's cancel
        return render(request, "web/leads/detail.html#info", _info_context(request, lead))
    return render(request, "web/leads/detail.html", _lead_context(request, lead))


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: AuthedRequest, external_id: str) -> HttpResponse:
    """Edit the lead's details: inline in its information card (HTMX), or as a small page (phones, no script)."""
    user = request.user
    lead = get_object_or_404(lead_list_visible_to(user=user), external_id=external_id)
    if not can_change(user=user, owner=lead.owner):
        return forbidden(request)
    inline = request.htmx.target == INFO_TARGET
    template = "web/leads/edit.html#form" if inline else "web/leads/edit.html"
    initial = LeadEditForm.initial_from(lead, phone=phone_for(user=user, owner_id=lead.owner_id, phone=lead.phone))
    form = LeadEditForm(request.POST or None, initial=initial)
    if lead.is_closed:
        messages.info(request, _("这条线索已关闭，不能再修改。"))
        url = reverse("web:lead_detail", args=[lead.external_id])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return edit_submit(
        request, form=form, record=lead, template=template, context={"lead": lead, "form": form, "inline": inline},
        save=lambda values: lead_update(lead=lead, by=user, now=clock_now(), values=values),
        saved_inline=lambda: render(request, "web/leads/detail.html#saved", _info_context(request, lead, saved=True)),
        detail_url=reverse("web:lead_detail", args=[lead.external_id]), saved_message=_("修改已保存。"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_new(request: AuthedRequest) -> HttpResponse:
    if not works_sales(request.user):
        return forbidden(request)
    form = LeadCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lead = lead_create(
                by=request.user, now=clock_now(), source=data["source"], name=data["name"], company=data["company"], phone=data["phone"],
                email=data["email"], industry=data["industry"], city=data["city"], budget=data["budget"],
            )
        except DomainError as exc:
            return render_form_error(request, "web/leads/new.html", {}, form=form, exc=exc)
        messages.success(request, _("线索已创建。"))
        return redirect("web:lead_detail", external_id=lead.external_id)
    return render(request, "web/leads/new.html", {"form": form}, status=422 if form.errors else 200)


@login_required
@require_POST
def lead_disqualify(request: AuthedRequest, external_id: str) -> HttpResponse:
    lead = get_object_or_404(lead_list_visible_to(user=request.user), external_id=external_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            lead_disqualify_service(lead=lead, by=request.user, now=clock_now(), reason=form.cleaned_data["reason"])
        except DomainError as exc:
            return render_form_error(request, "web/leads/detail.html", _lead_context(request, lead), form=form, exc=exc, form_name="disqualify_form")
        messages.success(request, _("线索已标记为无效。"))
        return redirect("web:lead_detail", external_id=lead.external_id)
    return render(request, "web/leads/detail.html", _lead_context(request, lead, disqualify_form=form), status=422)


@login_required
@require_http_methods(["GET", "POST"])
def lead_convert(request: AuthedRequest, external_id: str) -> HttpResponse:
    """Turn the lead into a new account (or attach it to an existing visible one), with its contact and a deal."""
    user = request.user
    lead = get_object_or_404(lead_list_visible_to(user=user), external_id=external_id)
    if request.htmx and "account_q" in request.GET:
        return render(request, "web/leads/convert.html#account_choices", {"choices": _account_choices(request, request.GET["account_q"])})
    if not can_change(user=user, owner=lead.owner):
        return forbidden(request)
    form = LeadConvertForm(
        request.POST or None, accounts=account_search(user=user, query=""),
        initial={"account_name": lead.company or lead.name, "amount": lead.budget},
    )
    context = {"lead": lead, "form": form, "choices": _account_choices(request, lead.company)}
    if lead.is_closed:
        messages.info(request, _("这条线索已关闭，不能再转化。"))
        return redirect("web:lead_detail", external_id=lead.external_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversion = lead_convert_service(
                lead=lead, by=user, now=clock_now(), account=data["account"], account_name=data["account_name"],
                create_contact=data["create_contact"], create_opportunity=data["create_opportunity"],
                opportunity_name=data["opportunity_name"], product_line=data["product_line"], amount=data["amount"],
                pipeline=data["pipeline"],
            )
        except DomainError as exc:
            return render_form_error(request, "web/leads/convert.html", context, form=form, exc=exc)
        messages.success(request, _("已转化为客户“%(account)s”。") % {"account": conversion.account})
        return redirect("web:account_detail", external_id=conversion.account.external_id)
    return render(request, "web/leads/convert.html", context, status=422 if form.errors else 200)


def _account_choices(request: AuthedRequest, query: str) -> list[Any]:
    query = (query or "").strip()[:100]
    if not query:
        return []
    return list(account_search(user=request.user, query=query).order_by("name")[:ACCOUNT_CHOICES_SHOWN])
