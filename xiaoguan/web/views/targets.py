"""目标适配度 (the monthly target-fit report): proposals, completion probabilities, managers' adjustments, the PDF.

The figures are the report's snapshot (targets.TargetFitReport), cut to the people the viewer may see and the scope
chosen in the scope bar (targets/report.py); adjustments and acceptance go through targets.services.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoguan.core.clock import clock_now, org_tz
from xiaoguan.core.errors import DomainError, ValidationFailedError
from xiaoguan.targets.models import TargetFitReport
from xiaoguan.targets.report import MEASURES, FitView, RepRow, target_fit_view
from xiaoguan.targets.report_pdf import cjk_font_find, method_lines, target_fit_pdf
from xiaoguan.targets.rules import REPORT_LAST_DAY
from xiaoguan.targets.selectors import target_fit_report_get, target_fit_report_list, target_proposals_visible_to
from xiaoguan.targets.services import MANAGING_ROLES, target_fit_report_build, target_proposal_adjust, target_proposals_accept
from xiaoguan.web.templatetags.web import money_short
from xiaoguan.web.views.cockpit import cockpit_context
from xiaoguan.web.views.common import AuthedRequest, forbidden, leads_team

MEASURE_LABELS = {"imposed": "下达目标", "proposed": "建议目标", "amount": "调整后目标"}
MAX_REPORTS_LISTED = 24


def _report_for(request: AuthedRequest) -> tuple[TargetFitReport | None, list[TargetFitReport]]:
    reports = list(target_fit_report_list()[:MAX_REPORTS_LISTED])
    month = request.GET.get("month") or request.POST.get("month") or ""
    chosen = next((r for r in reports if r.month == month), None) or (target_fit_report_get(month=month) if month else None)
    return chosen or (reports[0] if reports else None), reports


def _scope_label(context: dict[str, Any]) -> str:
    cockpit = context["cockpit"]
    if cockpit.rep is not None:
        return cockpit.rep.name
    if cockpit.team is not None:
        return cockpit.team.name
    if cockpit.region is not None:
        return cockpit.region.name
    return _("我能看到的全部销售")


def _chart(view: FitView) -> dict[str, Any]:
    """Per region (or per team for someone who sees no whole region): proposed, adjusted, imposed and won so far."""
    rows = [g for g in view.groups if g.kind == "region"] or [g for g in view.groups if g.depth == max((x.depth for x in view.groups), default=0)]
    names = [g.name for g in rows]

    def series(name: str, values: list[float | None]) -> dict[str, Any]:
        return {"name": name, "type": "bar", "data": [None if v is None else round(v / 10_000, 1) for v in values]}

    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0}},
        "yAxis": {"type": "value", "name": _("万元")},
        "series": [
            series(_("建议目标"), [g.proposed for g in rows]),
            series(_("调整后"), [g.amount for g in rows]),
            series(_("下达目标"), [g.imposed for g in rows]),
            series(_("本期已成交"), [g.won_so_far for g in rows]),
        ],
        "color": ["#3b82f6", "#8b5cf6", "#f59e0b", "#10b981"],
    }


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2)))


def _heat(view: FitView, measure: str) -> list[dict[str, Any]]:
    """The heatmap's rows for one measure: each region's probability (when the viewer sees all of it) and its reps'."""
    label = _(MEASURE_LABELS[measure])
    rows = []
    for row in view.heat:
        cells = []
        for rep in row.cells:
            target = {"imposed": rep.imposed, "proposed": rep.proposed, "amount": rep.amount}[measure]
            title = _("%(name)s：%(what)s %(target)s，已成交 %(won)s") % {
                "name": rep.name, "what": label, "target": money_short(_decimal(target)), "won": money_short(_decimal(rep.won_so_far)),
            }
            cells.append({"name": rep.name, "p": rep.p(measure), "band": rep.bands[measure], "title": title})
        group = row.group
        rows.append({
            "region": row.region, "p": group.p(measure) if group else None, "band": group.bands[measure] if group else "", "cells": cells,
        })  # fmt: skip
    return rows


@login_required
def target_fit(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    context = cockpit_context(request)
    report, reports = _report_for(request)
    measure = str(request.GET.get("measure")) if request.GET.get("measure") in MEASURES else "imposed"
    view = target_fit_view(report=report, user=user, owner_ids=context["cockpit"].owner_ids) if report else None
    today = clock_now().astimezone(org_tz()).date()
    keep = {k: v for k, v in (("month", report.month if report else ""), ("measure", measure)) if v}
    scope_query = urlencode({k: v for k, v in request.GET.items() if k in ("region", "team", "rep")})
    context.update({
        "heat": _heat(view, measure) if view else [],
        "can_accept": bool(view and view.reps and user.role in MANAGING_ROLES and any(r.can_adjust for r in view.reps)),
        "report": report,
        "reports": reports,
        "view": view,
        "measure": measure,
        "measures": [(m, _(MEASURE_LABELS[m])) for m in MEASURES],
        "measure_label": _(MEASURE_LABELS[measure]),
        "font": cjk_font_find(),
        "method": method_lines(view) if view else [],
        "chart": json.dumps(_chart(view), ensure_ascii=False) if view and view.groups else "",
        "this_month": today.strftime("%Y-%m"),
        "report_last_day": REPORT_LAST_DAY,
        "scope_keep": list(keep.items()),
        "scope_query": scope_query,
        "scope_label": _scope_label(context),
    })  # fmt: skip
    return render(request, "web/insights/target_fit.html", context)


@login_required
@require_POST
def target_fit_build(request: AuthedRequest) -> HttpResponse:
    """Build this month's report now rather than wait for the morning job (the same service, idempotent)."""
    if not leads_team(request.user):
        return forbidden(request)
    report, created = target_fit_report_build(now=clock_now(), by=request.user)
    if created:
        messages.success(request, _("已生成 %(month)s 目标适配度报告") % {"month": report.month})
    else:
        messages.info(request, _("%(month)s 的报告已经存在") % {"month": report.month})
    return HttpResponseRedirect(reverse("web:target_fit") + f"?month={report.month}")


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@login_required
@require_POST
def target_proposal_adjust_view(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    proposal = get_object_or_404(target_proposals_visible_to(user=user), pk=pk)
    amount = _amount(request.POST.get("amount", ""))
    error = ""
    try:
        if amount is None:
            raise ValidationFailedError(_("请输入调整后的目标金额（元）"))
        target_proposal_adjust(proposal=proposal, amount=amount, reason=request.POST.get("reason", ""), by=user, now=clock_now())
    except DomainError as refused:
        error = refused.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("已调整 %(name)s 的目标") % {"name": proposal.user.name})
        return HttpResponseRedirect(reverse("web:target_fit") + f"?month={proposal.report.month}")
    context = cockpit_context(request)
    view = target_fit_view(report=proposal.report, user=user, owner_ids=[proposal.user_id])
    row: RepRow | None = next(iter(view.reps), None)
    return render(
        request, "web/insights/target_fit.html#rep_row",
        {**context, "rep": row, "report": proposal.report, "view": view, "error": error, "form_amount": request.POST.get("amount", ""),
         "form_reason": request.POST.get("reason", ""), "measure": "imposed"},
        status=422 if error else 200,
    )  # fmt: skip


@login_required
@require_POST
def target_fit_accept(request: AuthedRequest) -> HttpResponse:
    """Write the (adjusted) proposals of the people in scope into the period's targets."""
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    report, _reports = _report_for(request)
    if report is None:
        return HttpResponseRedirect(reverse("web:target_fit"))
    context = cockpit_context(request)
    try:
        written = target_proposals_accept(report=report, by=user, now=clock_now(), user_pks=sorted(context["cockpit"].owner_ids))
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已把 %(n)s 位销售的 %(period)s 目标更新为调整后的建议值") % {"n": len(written), "period": report.period})
    query = urlencode({"month": report.month, **{k: v for k, v in request.POST.items() if k in ("region", "team", "rep") and v}})
    return HttpResponseRedirect(reverse("web:target_fit") + f"?{query}")


@login_required
def target_fit_pdf_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    report, _reports = _report_for(request)
    font = cjk_font_find()
    if report is None or font is None:
        # The page explains what is missing (no report yet, or no CJK font on this machine).
        return HttpResponseRedirect(reverse("web:target_fit") + (f"?month={report.month}" if report else ""))
    context = cockpit_context(request)
    view = target_fit_view(report=report, user=user, owner_ids=context["cockpit"].owner_ids)
    pdf = target_fit_pdf(view=view, font=font, scope=_scope_label(context), generated_at=clock_now())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="target-fit-{report.month}.pdf"'
    return response
