"""客户: the customer list, the account 360 page (contacts, deals, timeline, touch events, invoices, history), editing
the account and its contacts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xiaoguan.activities.selectors import activity_list_visible_to
from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import DomainError
from xiaoguan.customers.models import Account
from xiaoguan.customers.selectors import account_list_visible_to, account_search, contact_list_visible_to
from xiaoguan.customers.services import account_update, contact_create, contact_update
from xiaoguan.engagement.selectors import touch_event_list_visible_to
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.org.visibility import can_change, phone_for
from xiaoguan.receivables.selectors import invoice_list_visible_to
from xiaoguan.web.forms import AccountEditForm, AccountFilterForm, ContactForm
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

TIMELINE_PAGE = 25
TIMELINE_MAX_OFFSET = 10_000
TOUCHES_SHOWN = 15
INFO_TARGET = "account-info"
CONTACTS_TARGET = "contacts"
# The inline contact form shares its card with "添加联系人": a prefix keeps their fields apart.
CONTACT_EDIT_PREFIX = "contact"


def account_filters(request: AuthedRequest) -> tuple[AccountFilterForm, dict[str, str]]:
    form = AccountFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    return form, {key: data.get(key) or "" for key in ("q", "grade")}


def account_filtered(request: AuthedRequest, filters: dict[str, str]) -> Any:
    accounts = account_search(user=request.user, query=filters["q"])
    if filters["grade"]:
        accounts = accounts.filter(grade=filters["grade"])
    return accounts.order_by("-created_at", "-pk")


@login_required
def account_list(request: AuthedRequest) -> HttpResponse:
    form, filters = account_filters(request)
    context = {
        "form": form,
        "window": page_window(account_filtered(request, filters), number=page_number(request)),
        "filtered": any(filters.values()),
        "query": querystring_without_page(request),
        "now": clock_now(),
    }
    if request.htmx.target == "account-results":
        return render(request, "web/accounts/list.html#results", context)
    return render(request, "web/accounts/list.html", context)


def _timeline(request: AuthedRequest, account: Account, offset: int, opportunity_ids: set[int] | None = None) -> dict[str, Any]:
    """One page of the account's activities. A deal is named only when the viewer may open it: a colleague's deal on
    the same account stays unnamed (its page would be a 404 anyway)."""
    rows = list(
        activity_list_visible_to(user=request.user)
        .filter(account=account)
        .select_related("opportunity")
        .order_by("-occurred_at", "-pk")[offset : offset + TIMELINE_PAGE + 1]
    )
    if opportunity_ids is None:
        opportunity_ids = set(opportunity_list_visible_to(user=request.user).filter(account=account).values_list("pk", flat=True))
    return {
        "activities": rows[:TIMELINE_PAGE],
        "next_offset": offset + TIMELINE_PAGE if len(rows) > TIMELINE_PAGE else None,
        "visible_opportunity_ids": opportunity_ids,
    }


def _section_context(request: AuthedRequest, account: Account, **extra: Any) -> dict[str, Any]:
    """What the page head, the information and contacts cards and the history need: the HTMX answers redraw these."""
    user = request.user
    return {
        "account": account,
        "can_edit": can_change(user=user, owner=account.owner),
        "sales_view": works_sales(user),
        "contacts": list(contact_list_visible_to(user=user).filter(account=account).order_by("pk")[:100]),
        "history": history_rows(subject=account, viewer=user),
        "contact_form": extra.pop("contact_form", None) or ContactForm(),
        **extra,
    }


def _account_context(request: AuthedRequest, account: Account, **extra: Any) -> dict[str, Any]:
    user = request.user
    context = _section_context(request, account, **extra)
    context["opportunities"] = list(opportunity_list_visible_to(user=user).filter(account=account).order_by("-created_at", "-pk")[:50])
    context["invoices"] = list(invoice_list_visible_to(user=user).filter(account=account).order_by("-issued_on", "-pk")[:20])
    if context["sales_view"]:
        context.update(_timeline(request, account, 0, opportunity_ids={o.pk for o in context["opportunities"]}))
        context["touch_events"] = list(touch_event_list_visible_to(user=user).filter(account=account).order_by("-occurred_at", "-pk")[:TOUCHES_SHOWN])
    return context


@login_required
def account_detail(request: AuthedRequest, external_id: str) -> HttpResponse:
    account = get_object_or_404(account_list_visible_to(user=request.user), external_id=external_id)
    if request.htmx.target == INFO_TARGET:  # an edit form's cancel
        return render(request, "web/accounts/detail.html#info", _section_context(request, account))
    if request.htmx.target == CONTACTS_TARGET:
        return render(request, "web/accounts/detail.html#contacts", _section_context(request, account))
    return render(request, "web/accounts/detail.html", _account_context(request, account))


@login_required
def account_timeline(request: AuthedRequest, external_id: str) -> HttpResponse:
    """The next 50 activities of the timeline ("更早的记录"), for HTMX."""
    account = get_object_or_404(account_list_visible_to(user=request.user), external_id=external_id)
    try:
        offset = min(max(int(request.GET.get("offset", "0")), 0), TIMELINE_MAX_OFFSET)
    except ValueError:
        offset = 0
    return render(request, "web/accounts/detail.html#timeline_page", {"account": account, **_timeline(request, account, offset)})


@login_required
@require_POST
def contact_new(request: AuthedRequest, external_id: str) -> HttpResponse:
    account = get_object_or_404(account_list_visible_to(user=request.user), external_id=external_id)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return render(request, "web/accounts/detail.html", _account_context(request, account, contact_form=form, contact_open=True), status=422)
    try:
        contact_create(account=account, by=request.user, now=clock_now(), **form.cleaned_data)
    except DomainError as exc:
        context = _account_context(request, account, contact_open=True)
        return render_form_error(request, "web/accounts/detail.html", context, form=form, exc=exc, form_name="contact_form")
    messages.success(request, _("联系人已添加。"))
    return redirect("web:account_detail", external_id=account.external_id)


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: AuthedRequest, external_id: str) -> HttpResponse:
    """Edit the account's details: inline in its information card (HTMX), or as a small page (phones, no script)."""
    user = request.user
    account = get_object_or_404(account_list_visible_to(user=user), external_id=external_id)
    if not can_change(user=user, owner=account.owner):
        return forbidden(request)
    inline = request.htmx.target == INFO_TARGET
    template = "web/accounts/edit.html#form" if inline else "web/accounts/edit.html"
    form = AccountEditForm(request.POST or None, initial=AccountEditForm.initial_from(account))
    return edit_submit(
        request, form=form, record=account, template=template, context={"account": account, "form": form, "inline": inline},
        save=lambda values: account_update(account=account, by=user, now=clock_now(), values=values),
        saved_inline=lambda: render(request, "web/accounts/detail.html#saved", _section_context(request, account, saved=True)),
        detail_url=reverse("web:account_detail", args=[account.external_id]), saved_message=_("修改已保存。"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: AuthedRequest, external_id: str, contact_id: str) -> HttpResponse:
    """Edit a contact: in place of its row in the contacts card (HTMX), or as a small page (phones, no script)."""
    user = request.user
    account = get_object_or_404(account_list_visible_to(user=user), external_id=external_id)
    contact = get_object_or_404(contact_list_visible_to(user=user).filter(account=account), external_id=contact_id)
    if not can_change(user=user, owner=account.owner):
        return forbidden(request)
    inline = request.htmx.target == CONTACTS_TARGET
    initial = ContactForm.initial_from(contact, phone=phone_for(user=user, owner_id=account.owner_id, phone=contact.phone))
    form = ContactForm(request.POST or None, initial=initial, prefix=CONTACT_EDIT_PREFIX)
    context: dict[str, Any] = {"contact": contact, "contact_edit_form": form, "inline": inline}
    context = _section_context(request, account, **context, editing=contact.pk) if inline else {"account": account, **context}
    template = "web/accounts/detail.html#contacts" if inline else "web/accounts/contact_edit.html"
    return edit_submit(
        request, form=form, record=contact, template=template, context=context, form_name="contact_edit_form",
        save=lambda values: contact_update(contact=contact, by=user, now=clock_now(), values=values),
        saved_inline=lambda: render(request, "web/accounts/detail.html#contacts_saved", _section_context(request, account, saved=True)),
        detail_url=reverse("web:account_detail", args=[account.external_id]), saved_message=_("联系人已保存。"),
    )
