"""线索分配: the routing rules in order (move, enable, edit with a dry-run before saving, history, YAML export), the
fallback queue where a manager dispatches by hand, and the reps' daily caps and absences.

Rules, capacity and deactivation: director and admin. The fallback queue: also managers (their region's leads).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from xiaoguan.core.clock import clock_now, clock_today
from xiaoguan.core.errors import DomainError, NotAllowedError
from xiaoguan.customers.models import Account
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import Role, Team, User
from xiaoguan.routing.engine import CHAIN_COMPLETE, CHAIN_INCOMPLETE, Conditions
from xiaoguan.routing.export import rules_yaml
from xiaoguan.routing.models import RepCapacity, RouteMiss, RoutingRule, default_daily_cap
from xiaoguan.routing.selectors import (
    capacity_rows,
    dispatch_candidates,
    fallback_queue_visible_to,
    rep_states,
    rule_list,
    rule_specs,
)
from xiaoguan.routing.services import (
    can_edit_routing,
    lead_dispatch,
    leads_route_bulk,
    rep_capacity_update,
    rule_create,
    rule_dry_run,
    rule_move,
    rule_set_enabled,
    rule_update,
    user_deactivate_with_reroute,
)
from xiaoguan.web.forms import DateInput
from xiaoguan.web.views.common import (
    AuthedRequest,
    error_status,
    forbidden,
    form_take_error,
    history_rows,
    page_number,
    page_window,
)

SPLIT = re.compile(r"[\s,，、;；]+")
DISPATCH_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})


def _words(text: str) -> list[str]:
    return [w for w in SPLIT.split(text or "") if w]


class RuleForm(forms.Form):
    """A rule's fields as the edit page shows them; `values()` gives what `rule_create` / `rule_update` take."""

    TARGET_TEAM, TARGET_REPS = "team", "reps"

    name = forms.CharField(label=gettext_lazy("规则名称"), max_length=100)
    enabled = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)
    strategy = forms.ChoiceField(label=gettext_lazy("分配方式"), choices=RoutingRule.Strategy.choices)
    target_kind = forms.ChoiceField(
        label=gettext_lazy("分配给"), widget=forms.RadioSelect, initial=TARGET_TEAM,
        choices=[(TARGET_TEAM, gettext_lazy("一个团队（含下级团队的在职销售）")), (TARGET_REPS, gettext_lazy("指定销售"))],
    )
    target_team = forms.ModelChoiceField(label=gettext_lazy("团队"), queryset=Team.objects.none(), required=False)
    target_reps = forms.ModelMultipleChoiceField(
        label=gettext_lazy("销售"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    regions = forms.ModelMultipleChoiceField(
        label=gettext_lazy("大区"), queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("线索的大区；没有大区时按城市推断"),
    )
    provinces = forms.CharField(label=gettext_lazy("省份"), required=False, help_text=gettext_lazy("多个用顿号或逗号分隔，例如 江苏、浙江"))
    cities = forms.CharField(label=gettext_lazy("城市"), required=False, help_text=gettext_lazy("例如 苏州、无锡"))
    industries = forms.CharField(label=gettext_lazy("行业"), required=False, help_text=gettext_lazy("例如 制造业、医疗"))
    company_sizes = forms.MultipleChoiceField(
        label=gettext_lazy("公司规模"), choices=Account.Size.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    budget_min = forms.DecimalField(label=gettext_lazy("预算不低于"), required=False, min_value=0, max_digits=16, decimal_places=2)
    budget_max = forms.DecimalField(label=gettext_lazy("预算不高于"), required=False, min_value=0, max_digits=16, decimal_places=2)
    sources = forms.MultipleChoiceField(label=gettext_lazy("来源"), choices=Lead.Source.choices, required=False, widget=forms.CheckboxSelectMultiple)
    decision_chain = forms.ChoiceField(
        label=gettext_lazy("决策链"), required=False,
        choices=[("", gettext_lazy("不限")), (CHAIN_COMPLETE, gettext_lazy("完整")), (CHAIN_INCOMPLETE, gettext_lazy("不完整"))],
        help_text=gettext_lazy("完整：有联系人姓名、可用的手机号、公司名称和大于零的预算"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_team"].queryset = Team.objects.order_by("path")  # type: ignore[attr-defined]
        self.fields["target_reps"].queryset = User.objects.filter(is_active=True, role=Role.REP).order_by("team__path", "name")  # type: ignore[attr-defined]
        self.fields["regions"].queryset = Team.objects.filter(kind=Team.Kind.REGION).order_by("path")  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, rule: RoutingRule) -> dict[str, Any]:
        c = Conditions.from_json(rule.conditions)
        return {
            "name": rule.name, "enabled": rule.enabled, "strategy": rule.strategy,
            "target_kind": cls.TARGET_TEAM if rule.target_team_id else cls.TARGET_REPS,
            "target_team": rule.target_team_id, "target_reps": list(rule.target_rep_ids or []),
            "regions": sorted(c.regions), "provinces": "、".join(sorted(c.provinces)), "cities": "、".join(sorted(c.cities)),
            "industries": "、".join(sorted(c.industries)), "company_sizes": sorted(c.company_sizes), "sources": sorted(c.sources),
            "budget_min": c.budget_min, "budget_max": c.budget_max, "decision_chain": c.decision_chain,
        }

    def values(self) -> dict[str, Any]:
        d = self.cleaned_data
        by_team = d["target_kind"] == self.TARGET_TEAM

        def money(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "name": d["name"], "enabled": d["enabled"], "strategy": d["strategy"],
            "target_team": d["target_team"] if by_team else None,
            "target_rep_ids": [] if by_team else [u.pk for u in d["target_reps"]],
            "conditions": {
                "regions": [t.pk for t in d["regions"]], "provinces": _words(d["provinces"]), "cities": _words(d["cities"]),
                "industries": _words(d["industries"]), "company_sizes": d["company_sizes"], "sources": d["sources"],
                "budget_min": money(d["budget_min"]), "budget_max": money(d["budget_max"]), "decision_chain": d["decision_chain"],
            },
        }


class CapacityForm(forms.Form):
    daily_cap = forms.IntegerField(label=gettext_lazy("每日上限"), required=False, min_value=0, max_value=10_000)
    away = forms.BooleanField(label=gettext_lazy("暂停接收新线索"), required=False)
    absent_from = forms.DateField(label=gettext_lazy("请假开始"), required=False, widget=DateInput())
    absent_until = forms.DateField(label=gettext_lazy("请假结束"), required=False, widget=DateInput())
    note = forms.CharField(label=gettext_lazy("备注"), required=False, max_length=200)


class DispatchForm(forms.Form):
    rep = forms.ModelChoiceField(label=gettext_lazy("分配给"), queryset=User.objects.none())

    def __init__(self, *args: Any, reps: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = reps  # type: ignore[attr-defined]


def _editor_or_403(request: AuthedRequest) -> HttpResponse | None:
    return None if can_edit_routing(request.user) else forbidden(request)


def _rule_or_404(pk: str) -> RoutingRule:
    return get_object_or_404(RoutingRule.objects.select_related("target_team"), external_id=pk)


# ------------------------------------------------------------------------------------------------------------ rules


@login_required
def rules(request: AuthedRequest) -> HttpResponse:
    if (refused := _editor_or_403(request)) is not None:
        return refused
    rows = list(rule_list())
    specs = {spec.id: spec for spec in rule_specs(rules=rows)}
    return render(request, "web/routing/rules.html", {
        "rows": [{"rule": r, "spec": specs[r.pk], "conditions": _conditions_text(r)} for r in rows],
        "default_cap": default_daily_cap(),
        "queue_count": fallback_queue_visible_to(user=request.user).count(),
    })


def _conditions_text(rule: RoutingRule) -> str:
    c = Conditions.from_json(rule.conditions)
    parts = []
    if c.regions:
        names = dict(Team.objects.filter(pk__in=c.regions).values_list("pk", "name"))
        parts.append(_("大区") + " " + "、".join(names.get(pk, str(pk)) for pk in sorted(c.regions)))
    for label, values in ((_("省份"), c.provinces), (_("城市"), c.cities), (_("行业"), c.industries), (_("规模"), c.company_sizes)):
        if values:
            parts.append(f"{label} {'、'.join(sorted(values))}")
    if c.sources:
        labels = dict(Lead.Source.choices)
        parts.append(_("来源") + " " + "、".join(str(labels.get(s, s)) for s in sorted(c.sources)))
    if c.budget_min is not None or c.budget_max is not None:
        low = f"{c.budget_min:,.0f}" if c.budget_min is not None else "0"
        high = f"{c.budget_max:,.0f}" if c.budget_max is not None else "∞"
        parts.append(_("预算 %(low)s–%(high)s") % {"low": low, "high": high})
    if c.decision_chain:
        parts.append(_("决策链完整") if c.decision_chain == CHAIN_COMPLETE else _("决策链不完整"))
    return "; ".join(parts) or _("所有线索（兜底）")


def _rule_form_page(request: AuthedRequest, rule: RoutingRule | None) -> HttpResponse:
    form = RuleForm(request.POST or None, initial=RuleForm.initial_for(rule) if rule else {"enabled": True})
    context: dict[str, Any] = {"form": form, "rule": rule}
    if request.method == "POST" and form.is_valid():
        now = clock_now()
        try:
            if rule is None:
                saved = rule_create(by=request.user, now=now, values=form.values())
                messages.success(request, _("规则「%(name)s」已创建（第 %(pos)s 位）。") % {"name": saved.name, "pos": saved.position})
            else:
                saved = rule_update(rule=rule, by=request.user, now=now, values=form.values())
                messages.success(request, _("规则「%(name)s」已保存，当前版本 %(v)s。") % {"name": saved.name, "v": saved.version})
        except DomainError as exc:
            if rule is not None:
                rule.refresh_from_db()
            form_take_error(form, exc)
            return render(request, "web/routing/rule_edit.html", context, status=error_status(exc))
        return redirect("web:routing_rules")
    return render(request, "web/routing/rule_edit.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: AuthedRequest) -> HttpResponse:
    if (refused := _editor_or_403(request)) is not None:
        return refused
    return _rule_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthedRequest, pk: str) -> HttpResponse:
    if (refused := _editor_or_403(request)) is not None:
        return refused
    return _rule_form_page(request, _rule_or_404(pk))


@login_required
@require_POST
def rule_try(request: AuthedRequest) -> HttpResponse:
    """试运行: the form as it is now, unsaved, replayed over the last 30 days; answers the result partial."""
    if (refused := _editor_or_403(request)) is not None:
        return refused
    saved = _rule_or_404(request.POST["rule"]) if request.POST.get("rule") else None
    form = RuleForm(request.POST)
    if not form.is_valid():
        return render(request, "web/routing/rule_edit.html#dry_run", {"form": form, "invalid": True}, status=422)
    values = form.values()
    draft = RoutingRule(
        pk=saved.pk if saved else None, name=values["name"], enabled=True, strategy=values["strategy"], target_team=values["target_team"],
        target_rep_ids=values["target_rep_ids"], conditions=Conditions.from_json(values["conditions"]).to_json(),
        position=saved.position if saved else 0, version=(saved.version + 1) if saved else 1,
    )
    report = rule_dry_run(rule=draft, now=clock_now(), days=30)
    return render(request, "web/routing/rule_edit.html#dry_run", {"report": report})


@login_required
@require_POST
def rule_move_view(request: AuthedRequest, pk: str) -> HttpResponse:
    if (refused := _editor_or_403(request)) is not None:
        return refused
    rule_move(rule=_rule_or_404(pk), by=request.user, now=clock_now(), up=request.POST.get("direction") != "down")
    return redirect("web:routing_rules")


@login_required
@require_POST
def rule_toggle(request: AuthedRequest, pk: str) -> HttpResponse:
    if (refused := _editor_or_403(request)) is not None:
        return refused
    rule = _rule_or_404(pk)
    rule_set_enabled(rule=rule, by=request.user, now=clock_now(), enabled=not rule.enabled)
    messages.success(request, (_("已启用「%(name)s」。") if rule.enabled else _("已停用「%(name)s」。")) % {"name": rule.name})
    return redirect("web:routing_rules")


@login_required
def rule_history(request: AuthedRequest, pk: str) -> HttpResponse:
    if (refused := _editor_or_403(request)) is not None:
        return refused
    rule = _rule_or_404(pk)
    return render(request, "web/routing/history.html", {"rule": rule, "history": history_rows(subject=rule, viewer=request.user, limit=200)})


@login_required
def rules_export(request: AuthedRequest) -> HttpResponse:
    if (refused := _editor_or_403(request)) is not None:
        return refused
    response = HttpResponse(rules_yaml(now=clock_now()), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="routing-rules-{clock_today():%Y%m%d}.yaml"'
    return response


# ---------------------------------------------------------------------------------------------------- fallback queue


def _may_dispatch(user: User) -> bool:
    return user.is_active and (user.role in DISPATCH_ROLES or user.is_superuser)


@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    """待分配: leads routing could not place, with why; a manager gives each to a rep by hand."""
    user = request.user
    if not _may_dispatch(user):
        return forbidden(request)
    window = page_window(fallback_queue_visible_to(user=user), number=page_number(request))
    misses = {m.lead_id: m for m in RouteMiss.objects.filter(lead_id__in=[lead.pk for lead in window.items])}
    reps = dispatch_candidates(user=user)
    return render(request, "web/routing/queue.html", {
        "window": window, "rows": [{"lead": lead, "miss": misses.get(lead.pk)} for lead in window.items],
        "reps": list(reps), "can_route": can_edit_routing(user), "query": "",
    })


@login_required
@require_POST
def queue_assign(request: AuthedRequest, external_id: str) -> HttpResponse:
    user = request.user
    if not _may_dispatch(user):
        return forbidden(request)
    lead = get_object_or_404(fallback_queue_visible_to(user=user), external_id=external_id)
    form = DispatchForm(request.POST, reps=dispatch_candidates(user=user))
    if not form.is_valid():
        messages.error(request, _("请选择一位在职的销售。"))
        return redirect("web:routing_queue")
    try:
        lead_dispatch(lead=lead, rep=form.cleaned_data["rep"], by=user, now=clock_now())
    except DomainError as exc:
        if isinstance(exc, NotAllowedError):
            return forbidden(request, exc.message)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("「%(lead)s」已分配给 %(rep)s。") % {"lead": lead, "rep": form.cleaned_data["rep"].name})
    return redirect("web:routing_queue")


@login_required
@require_POST
def queue_route(request: AuthedRequest) -> HttpResponse:
    """Run the rules again over the whole queue (after a cap was raised or a rule added)."""
    if (refused := _editor_or_403(request)) is not None:
        return refused
    summary = leads_route_bulk(leads=fallback_queue_visible_to(user=request.user), now=clock_now())
    messages.success(request, _("重新分配完成：%(routed)s 条已分配，%(left)s 条仍待分配。") % {"routed": summary.routed, "left": summary.unrouted})
    return redirect("web:routing_queue")


# ---------------------------------------------------------------------------------------------------------- capacity


@login_required
def capacity(request: AuthedRequest) -> HttpResponse:
    if (refused := _editor_or_403(request)) is not None:
        return refused
    return render(request, "web/routing/capacity.html", {"rows": capacity_rows(now=clock_now()), "default_cap": default_daily_cap(),
                                                          "today": clock_today()})


def _rep_or_404(external_id: str) -> User:
    return get_object_or_404(User.objects.select_related("team"), external_id=external_id)


@login_required
@require_http_methods(["GET", "POST"])
def capacity_edit(request: AuthedRequest, external_id: str) -> HttpResponse:
    if (refused := _editor_or_403(request)) is not None:
        return refused
    rep = _rep_or_404(external_id)
    current = RepCapacity.objects.filter(user=rep).first()
    initial = {} if current is None else {
        "daily_cap": current.daily_cap, "away": current.away, "absent_from": current.absent_from,
        "absent_until": current.absent_until, "note": current.note,
    }
    form = CapacityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rep_capacity_update(rep=rep, by=request.user, now=clock_now(), **form.cleaned_data)
        except DomainError as exc:
            form_take_error(form, exc)
        else:
            messages.success(request, _("%(name)s 的接收设置已保存。") % {"name": rep.name})
            return redirect("web:routing_capacity")
    state = rep_states(rep_ids=[rep.pk], now=clock_now()).get(rep.pk)
    history = history_rows(subject=current, viewer=request.user) if current else []
    return render(request, "web/routing/capacity_edit.html", {
        "rep": rep, "form": form, "state": state, "default_cap": default_daily_cap(), "history": history,
    }, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def deactivate(request: AuthedRequest, external_id: str) -> HttpResponse:
    """停用并重新分配: the person can no longer log in; their open leads go back to routing (see the service)."""
    if (refused := _editor_or_403(request)) is not None:
        return refused
    person = _rep_or_404(external_id)
    if not person.is_active:
        raise Http404
    open_leads = Lead.objects.filter(owner=person).exclude(status__in=Lead.CLOSED_STATUSES)
    preview = {
        "uncontacted": open_leads.filter(status__in=(Lead.Status.NEW, Lead.Status.ASSIGNED), first_contact_at__isnull=True).count(),
        "total": open_leads.count(),
    }
    preview["contacted"] = preview["total"] - preview["uncontacted"]
    if request.method == "POST":
        try:
            result = user_deactivate_with_reroute(user=person, by=request.user, now=clock_now())
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("web:routing_capacity")
        messages.success(request, _(
            "%(name)s 已停用：%(rerouted)s 条线索重新分配，%(queue)s 条进入待分配队列，%(manager)s 条交给上级，%(pool)s 条退回公海。"
        ) % {"name": person.name, "rerouted": result.rerouted, "queue": result.to_queue, "manager": result.to_manager, "pool": result.to_pool})
        return redirect("web:routing_capacity")
    return render(request, "web/routing/deactivate.html", {"person": person, "preview": preview})
