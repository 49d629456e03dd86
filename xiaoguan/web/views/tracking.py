"""追踪链接 and 价值分: the public `/t/<token>` answers (when the WSGI fast path is not in front), the booking page, the
deal's tracked-link panel, the account's engagement panel and the weights' settings page."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from xiaoguan.core.clock import clock_now, org_tz
from xiaoguan.core.errors import DomainError
from xiaoguan.customers.models import Account, Contact
from xiaoguan.customers.selectors import account_list_visible_to, contact_list_visible_to
from xiaoguan.documents.models import Document
from xiaoguan.documents.selectors import document_list_for_opportunity
from xiaoguan.engagement.selectors import (
    engagement_policy_current,
    engagement_policy_history,
    engagement_score_of,
    engagement_scores,
)
from xiaoguan.engagement.services import can_edit_engagement_policy, engagement_policy_update
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.org.visibility import can_change
from xiaoguan.tracking.hits import hit_record, link_for_token
from xiaoguan.tracking.models import TrackedLink
from xiaoguan.tracking.selectors import tracked_link_activity, tracked_link_list_visible_to, tracked_link_token
from xiaoguan.tracking.serve import answer as tracking_answer
from xiaoguan.tracking.serve import not_found
from xiaoguan.tracking.services import booking_confirm, booking_taken, tracked_link_create, tracked_link_revoke
from xiaoguan.web.views.common import AuthedRequest, forbidden, render_form_error

LINKS_SHOWN = 30
PANEL_TARGET = "tracking-panel"


# ------------------------------------------------------------------------------------------------ public: /t/<token>


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def tracked_hit(request: HttpRequest, token: str, suffix: str = "") -> HttpResponse:
    """The same answers as the WSGI fast path (tracking/wsgi.py), through Django: tests, `runserver`, other servers."""
    route = {".gif": "pixel", "/download": "download", "/download/": "download"}.get(suffix, "view")
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    now = clock_now()
    if request.method == "POST":
        return _booking(request, token, now=now)
    result = tracking_answer(
        token=token, route=route, method=request.method, user_agent=request.META.get("HTTP_USER_AGENT", ""), ip=_client_ip(request), now=now
    )
    if result is None:
        return _booking(request, token, now=now)
    response = HttpResponse(result.body if isinstance(result.body, bytes) else b"".join(result.body), status=result.status)
    for name, value in result.headers:
        if name != "Content-Length":
            response[name] = value
    return response


class BookingForm(forms.Form):
    slot = forms.ChoiceField(label=gettext_lazy("选择时间"), widget=forms.RadioSelect)
    note = forms.CharField(label=gettext_lazy("留言（可选）"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, slots: list[datetime], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        slot_field = self.fields["slot"]
        assert isinstance(slot_field, forms.ChoiceField)  # noqa: S101
        slot_field.choices = [(s.isoformat(), s.astimezone(org_tz()).strftime("%m-%d %a %H:%M")) for s in slots]


def _booking(request: HttpRequest, token: str, *, now: datetime) -> HttpResponse:
    info = link_for_token(token, now=now)
    if info is None or info.kind != TrackedLink.Kind.BOOKING:
        result = not_found()
        return HttpResponse(result.body, status=404, content_type="text/plain; charset=utf-8")
    link = TrackedLink.objects.select_related("account", "contact", "opportunity__owner", "created_by").get(pk=info.pk)
    slots = [s for s in (datetime.fromisoformat(v) for v in link.slots) if s > now]
    form = BookingForm(request.POST if request.method == "POST" else None, slots=slots)
    context: dict[str, Any] = {"link": link, "form": form, "booked": booking_taken(link=link)}
    if request.method != "POST":
        hit_record(link=info, route="view", method=request.method or "GET", user_agent=request.META.get("HTTP_USER_AGENT", ""), ip=_client_ip(request), now=now)
        return render(request, "web/tracking/booking.html", context)
    if not form.is_valid():
        return render(request, "web/tracking/booking.html", context, status=422)
    try:
        booking_confirm(link=link, slot=datetime.fromisoformat(form.cleaned_data["slot"]), note=form.cleaned_data["note"], now=now)
    except DomainError as error:
        form.add_error(None, error.message)
        return render(request, "web/tracking/booking.html", context, status=422)
    context["booked"] = booking_taken(link=link)
    context["just_booked"] = True
    return render(request, "web/tracking/booking.html", context)


# ------------------------------------------------------------------------------------------------ the deal's panel


class TrackedLinkForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("发送什么"), choices=TrackedLink.Kind.choices, initial=TrackedLink.Kind.DOCUMENT)
    contact = forms.ModelChoiceField(label=gettext_lazy("发给哪位联系人"), queryset=Contact.objects.none(), required=False)
    recipient = forms.CharField(label=gettext_lazy("或：收件人"), max_length=100, required=False, help_text=gettext_lazy("没有联系人记录时填写姓名或邮箱"))
    document = forms.ModelChoiceField(label=gettext_lazy("资料"), queryset=Document.objects.none(), required=False)
    url = forms.URLField(label=gettext_lazy("网址"), max_length=500, required=False, assume_scheme="https")
    label = forms.CharField(label=gettext_lazy("名称（可选）"), max_length=200, required=False)
    expires_days = forms.IntegerField(label=gettext_lazy("有效期（天，可选）"), min_value=1, max_value=365, required=False)

    def __init__(self, *args: Any, contacts: Any, documents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contact_field = self.fields["contact"]
        document_field = self.fields["document"]
        assert isinstance(contact_field, forms.ModelChoiceField) and isinstance(document_field, forms.ModelChoiceField)  # noqa: S101
        contact_field.queryset = contacts
        document_field.queryset = documents


def _deal(request: AuthedRequest, external_id: str) -> Opportunity:
    return get_object_or_404(opportunity_list_visible_to(user=request.user).select_related("account", "owner"), external_id=external_id)


def _link_rows(links: list[TrackedLink]) -> list[dict[str, Any]]:
    activity = tracked_link_activity(links=links)
    base = settings.XIAOGUAN_BASE_URL.rstrip("/")
    rows = []
    for link in links:
        token = tracked_link_token(link=link)
        rows.append({
            "link": link, "url": f"{base}/t/{token}", "pixel": f"{base}/t/{token}.gif",
            "download": f"{base}/t/{token}/download" if link.kind == TrackedLink.Kind.DOCUMENT else "",
            "activity": activity.get(link.pk),
        })
    return rows


def _panel_context(request: AuthedRequest, deal: Opportunity, form: TrackedLinkForm | None = None, created: TrackedLink | None = None) -> dict[str, Any]:
    user = request.user
    now = clock_now()
    links = list(tracked_link_list_visible_to(user=user).filter(opportunity=deal).order_by("-created_at", "-pk")[:LINKS_SHOWN])
    contacts = contact_list_visible_to(user=user).filter(account_id=deal.account_id).order_by("pk")
    return {
        "opportunity": deal,
        "score": engagement_score_of(subject="opportunity", pk=deal.pk, now=now),
        "contact_scores": _contact_scores(contacts, now=now),
        "rows": _link_rows(links),
        "created": created,
        "can_send": can_change(user=user, owner=deal.owner) and deal.status == Opportunity.Status.OPEN,
        "form": form or TrackedLinkForm(contacts=contacts, documents=document_list_for_opportunity(user=user, opportunity_id=deal.pk)),
        "policy": engagement_policy_current(),
        "now": now,
    }


def _contact_scores(contacts: Any, *, now: datetime) -> list[dict[str, Any]]:
    people = list(contacts[:50])
    scores = engagement_scores(subject="contact", ids=[c.pk for c in people], now=now)
    rows = [{"contact": c, "score": scores.get(c.pk)} for c in people]
    return sorted(rows, key=lambda r: -(r["score"].score if r["score"] else 0.0))


@login_required
def deal_panel(request: AuthedRequest, external_id: str) -> HttpResponse:
    deal = _deal(request, external_id)
    context = _panel_context(request, deal)
    if request.htmx:
        return render(request, "web/tracking/deal_panel.html", context)
    return render(request, "web/tracking/deal_page.html", context)


@login_required
@require_POST
def link_new(request: AuthedRequest, external_id: str) -> HttpResponse:
    user = request.user
    deal = _deal(request, external_id)
    if not can_change(user=user, owner=deal.owner):
        return forbidden(request)
    contacts = contact_list_visible_to(user=user).filter(account_id=deal.account_id).order_by("pk")
    form = TrackedLinkForm(request.POST, contacts=contacts, documents=document_list_for_opportunity(user=user, opportunity_id=deal.pk))
    template = "web/tracking/deal_panel.html" if request.htmx else "web/tracking/deal_page.html"
    if not form.is_valid():
        return render(request, template, _panel_context(request, deal, form=form), status=422)
    data = form.cleaned_data
    try:
        link = tracked_link_create(
            opportunity=deal, by=user, now=clock_now(), kind=data["kind"], contact=data["contact"], recipient=data["recipient"],
            document=data["document"], url=data["url"] or "", label=data["label"], expires_days=data["expires_days"],
        )
    except DomainError as error:
        return render_form_error(request, template, _panel_context(request, deal, form=form), form=form, exc=error, form_name="form")
    return render(request, template, _panel_context(request, deal, created=link))


@login_required
@require_POST
def link_revoke(request: AuthedRequest, link_id: str) -> HttpResponse:
    link = get_object_or_404(tracked_link_list_visible_to(user=request.user), external_id=link_id)
    try:
        tracked_link_revoke(link=link, by=request.user, now=clock_now())
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("链接已撤回，对方再打开将看到“链接无效”。"))
    assert link.opportunity is not None  # noqa: S101 — visible links are deals' links
    return redirect("web:opportunity_detail", external_id=link.opportunity.external_id)


# ------------------------------------------------------------------------------------------------ the account's panel


@login_required
def account_panel(request: AuthedRequest, external_id: str) -> HttpResponse:
    account: Account = get_object_or_404(account_list_visible_to(user=request.user), external_id=external_id)
    now = clock_now()
    contacts = contact_list_visible_to(user=request.user).filter(account=account).order_by("pk")
    deals = list(opportunity_list_visible_to(user=request.user).filter(account=account, status=Opportunity.Status.OPEN).order_by("-created_at")[:20])
    deal_scores = engagement_scores(subject="opportunity", ids=[d.pk for d in deals], now=now)
    context = {
        "account": account,
        "score": engagement_score_of(subject="account", pk=account.pk, now=now),
        "contact_scores": _contact_scores(contacts, now=now),
        "deal_scores": [{"deal": d, "score": deal_scores.get(d.pk)} for d in deals],
        "policy": engagement_policy_current(),
    }
    return render(request, "web/tracking/account_panel.html", context)


# ------------------------------------------------------------------------------------------------ settings


class PolicyForm(forms.Form):
    weight_opened = forms.DecimalField(label=gettext_lazy("打开邮件/资料（分）"), min_value=Decimal(0), max_value=Decimal(999), decimal_places=2)
    weight_clicked = forms.DecimalField(label=gettext_lazy("点击链接（分）"), min_value=Decimal(0), max_value=Decimal(999), decimal_places=2)
    weight_downloaded = forms.DecimalField(label=gettext_lazy("下载资料（分）"), min_value=Decimal(0), max_value=Decimal(999), decimal_places=2)
    weight_meeting_booked = forms.DecimalField(label=gettext_lazy("预约会议（分）"), min_value=Decimal(0), max_value=Decimal(999), decimal_places=2)
    half_life_days = forms.DecimalField(
        label=gettext_lazy("半衰期（天）"), min_value=Decimal("0.1"), max_value=Decimal(365), decimal_places=1,
        help_text=gettext_lazy("行为的分值每过一个半衰期减半：7 天前的下载按 2.5 分计。"),
    )
    silent_hours = forms.IntegerField(label=gettext_lazy("沉默时长（小时）"), min_value=1, max_value=24 * 60)
    silent_score_below = forms.DecimalField(label=gettext_lazy("价值分低于"), min_value=Decimal(0), max_value=Decimal(9999), decimal_places=2)
    note = forms.CharField(label=gettext_lazy("修改说明（可选）"), max_length=200, required=False)


@login_required
@require_http_methods(["GET", "POST"])
def engagement_settings(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not can_edit_engagement_policy(user):
        return forbidden(request)
    policy = engagement_policy_current()
    initial = {
        "weight_opened": policy.weight("opened"), "weight_clicked": policy.weight("clicked"), "weight_downloaded": policy.weight("downloaded"),
        "weight_meeting_booked": policy.weight("meeting_booked"), "half_life_days": policy.half_life_days,
        "silent_hours": policy.silent_hours, "silent_score_below": policy.silent_score_below,
    }
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        note = values.pop("note")
        try:
            engagement_policy_update(by=user, now=clock_now(), values=values, note=note)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("触点价值权重已保存，新的价值分立即按新权重计算。"))
            return redirect("web:engagement_settings")
    return render(request, "web/tracking/settings.html", {"form": form, "history": list(engagement_policy_history()), "policy": policy})
