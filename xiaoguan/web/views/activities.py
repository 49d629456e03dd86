"""记一笔: the quick activity log, made for a phone (five fields, big targets, optional position for visits)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xiaoguan.activities.models import Activity
from xiaoguan.activities.selectors import activity_list_visible_to
from xiaoguan.activities.services import activity_log
from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import DomainError
from xiaoguan.customers.models import Account
from xiaoguan.customers.selectors import account_list_visible_to, account_search
from xiaoguan.leads.models import Lead
from xiaoguan.leads.selectors import lead_list_visible_to, lead_search
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.opportunities.selectors import opportunity_list_visible_to, opportunity_search
from xiaoguan.org.models import User
from xiaoguan.web.forms import DATETIME_LOCAL, LOCATED_KINDS, ActivityForm
from xiaoguan.web.views.common import AuthedRequest, forbidden, render_form_error, works_sales

CHOICES_PER_KIND = 8
RECENT_ACCOUNTS = 5


@dataclass(frozen=True)
class Subject:
    """What an activity is about, as the picker shows it. `key` is `account:<id>`, `opportunity:<id>` or `lead:<id>`."""

    kind: str
    record: Account | Opportunity | Lead

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.record.external_id}"

    @property
    def label(self) -> str:
        return {"account": _("客户"), "opportunity": _("商机"), "lead": _("线索")}[self.kind]

    @property
    def detail(self) -> str:
        if isinstance(self.record, Opportunity):
            return f"{self.record.account} · {self.record.stage}"
        if isinstance(self.record, Lead):
            return self.record.company or self.record.get_status_display()
        return " · ".join(x for x in (self.record.city, self.record.industry) if x)

    @property
    def url(self) -> str:
        names = {"account": "web:account_detail", "opportunity": "web:opportunity_detail", "lead": "web:lead_detail"}
        return reverse(names[self.kind], args=[self.record.external_id])


def subject_from_key(*, user: User, key: str) -> Subject | None:
    """The visible record a picker key names, or None."""
    kind, _sep, external_id = (key or "").partition(":")
    if not external_id:
        return None
    record: Account | Opportunity | Lead | None
    if kind == "account":
        record = account_list_visible_to(user=user).filter(external_id=external_id).first()
    elif kind == "opportunity":
        record = opportunity_list_visible_to(user=user).filter(external_id=external_id).first()
    elif kind == "lead":
        record = lead_list_visible_to(user=user).filter(external_id=external_id).first()
    else:
        return None
    return Subject(kind, record) if record is not None else None


def _recent_subjects(user: User) -> list[Subject]:
    """Accounts the user followed up most recently: usually the one they are about to log."""
    recent_ids: list[int] = []
    for account_id in activity_list_visible_to(user=user).filter(owner=user, account__isnull=False).order_by("-occurred_at").values_list(
        "account_id", flat=True
    )[:60]:
        if account_id not in recent_ids:
            recent_ids.append(account_id)
        if len(recent_ids) == RECENT_ACCOUNTS:
            break
    accounts = {a.pk: a for a in account_list_visible_to(user=user).filter(pk__in=recent_ids)}
    return [Subject("account", accounts[pk]) for pk in recent_ids if pk in accounts]


def _subject_choices(user: User, query: str) -> list[Subject]:
    query = query.strip()[:100]
    if not query:
        return _recent_subjects(user)
    return [
        *(Subject("account", a) for a in account_search(user=user, query=query).order_by("name")[:CHOICES_PER_KIND]),
        *(Subject("opportunity", o) for o in opportunity_search(user=user, query=query, status=Opportunity.Status.OPEN)[:CHOICES_PER_KIND]),
        *(Subject("lead", lead) for lead in lead_search(user=user, query=query).exclude(status__in=Lead.CLOSED_STATUSES)[:CHOICES_PER_KIND]),
    ]


def _preset_subject(request: AuthedRequest) -> Subject | None:
    for kind in ("opportunity", "account", "lead"):
        if request.GET.get(kind):
            subject = subject_from_key(user=request.user, key=f"{kind}:{request.GET[kind]}")
            if subject is None:
                raise Http404
            return subject
    return None


def _related_choices(user: User, subject: Subject | None) -> list[Subject]:
    """For a preset account, its open deals: logging on a deal keeps the deal's timeline whole."""
    if subject is None or not isinstance(subject.record, Account):
        return []
    deals = opportunity_list_visible_to(user=user).filter(account=subject.record, status=Opportunity.Status.OPEN).order_by("-created_at")
    return [Subject("opportunity", o) for o in deals[:CHOICES_PER_KIND]]


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not works_sales(user):
        return forbidden(request)
    now = clock_now()
    preset = _preset_subject(request) if request.method == "GET" else None
    form = ActivityForm(
        request.POST or None,
        initial={"occurred_at": timezone.localtime(now).strftime(DATETIME_LOCAL), "kind": Activity.Kind.VISIT, "subject": preset.key if preset else ""},
    )
    chosen = subject_from_key(user=user, key=request.POST.get("subject", "")) if request.method == "POST" else preset
    context: dict[str, Any] = {
        "form": form,
        "chosen": chosen,
        "related": _related_choices(user, chosen),
        "choices": [] if chosen else _subject_choices(user, ""),
        "located_kinds": [str(k) for k in LOCATED_KINDS],
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if chosen is None:
            form.add_error("subject", _("请选择客户或商机"))
        else:
            try:
                activity_log(
                    by=user, now=now, kind=data["kind"], occurred_at=data["occurred_at"], content=data["content"],
                    next_follow_up_at=data["next_follow_up_at"], lat=data["lat"], lng=data["lng"],
                    account=chosen.record if isinstance(chosen.record, Account) else None,
                    opportunity=chosen.record if isinstance(chosen.record, Opportunity) else None,
                    lead=chosen.record if isinstance(chosen.record, Lead) else None,
                )
            except DomainError as exc:
                return render_form_error(request, "web/activities/new.html", context, form=form, exc=exc)
            messages.success(request, _("已记录一条跟进。"))
            # The record's own page: that is where the new entry shows on the timeline.
            return redirect(chosen.url)
    return render(request, "web/activities/new.html", context, status=422 if form.errors else 200)


@login_required
def activity_subjects(request: AuthedRequest) -> HttpResponse:
    """The picker's search results (HTMX, as the rep types)."""
    if not works_sales(request.user):
        return forbidden(request)
    return render(request, "web/activities/new.html#subject_choices", {"choices": _subject_choices(request.user, request.GET.get("q", ""))})
