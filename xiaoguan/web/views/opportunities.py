"""商机: the board by stage (drag, or "move to" on a phone), a deal's page, edit, won / lost / reopen; the stage gates
(what a deal must show before it moves on, approvals, a manager's override) and their settings with the keyword
dictionaries."""

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
from xiaoguan.documents.selectors import document_list_for_opportunity
from xiaoguan.engagement.selectors import touch_event_list_visible_to
from xiaoguan.evidence.models import KeywordDictionary
from xiaoguan.evidence.selectors import activity_evidence_list, competitors_learned, keyword_dictionary_list
from xiaoguan.evidence.services import can_edit_dictionaries, keyword_dictionary_update, words_parse
from xiaoguan.insights.winprob import win_scores_today
from xiaoguan.opportunities.export import stage_gates_yaml
from xiaoguan.opportunities.gates import (
    KEYWORD_LABELS,
    REQUIRED_FIELDS,
    GateSpec,
    action_choices,
    action_label,
    gate_dry_run,
    gate_missing,
    gate_spec,
)
from xiaoguan.opportunities.models import DEFAULT_STAGES, Opportunity, Pipeline, Stage, StageMoveRequest
from xiaoguan.opportunities.selectors import (
    opportunity_list_visible_to,
    opportunity_search,
    pipeline_list,
    stage_history_list,
    stage_list,
)
from xiaoguan.opportunities.services import (
    StageApprovalRequiredError,
    StageEvidenceMissingError,
    can_edit_gates,
    can_override,
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_move_stage,
    opportunity_update,
    stage_gate_update,
    stage_move_decide,
    stage_move_request,
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
from xiaoguan.web.views.documents import DocumentUploadForm

CARDS_PER_COLUMN = 20
DEFAULT_STAGE_NAMES = tuple((key, name) for key, name, _won in DEFAULT_STAGES)
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
    scores = win_scores_today()
    for column in columns:
        for card in column["cards"]:
            card.win = scores.get(card.pk)
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


def _gate_context(request: AuthedRequest, opportunity: Opportunity) -> dict[str, Any]:
    """The current stage's exit criteria as a checklist (met or not), the pending approval, who may decide."""
    user = request.user
    spec = gate_spec(opportunity.stage)
    missing = {m.code for m in gate_missing(opportunity=opportunity, stages=[opportunity.stage], now=clock_now())} if opportunity.is_open else set()
    checklist = [{"label": _("填写%(field)s") % {"field": REQUIRED_FIELDS[f]}, "met": f"field:{f}" not in missing} for f in spec.required_fields if f in REQUIRED_FIELDS]
    checklist += [{"label": action_label(code), "met": code not in missing} for code in spec.required_actions]
    pending = opportunity.stage_requests.filter(status=StageMoveRequest.Status.PENDING).select_related("to_stage", "requested_by").first()
    return {
        "gate_checklist": checklist,
        "gate_needs_approval": spec.needs_approval,
        "gate_open": opportunity.is_open and not missing,
        "pending_request": pending,
        "can_override": can_override(user, opportunity),
        "evidence_seen": [
            (str(KEYWORD_LABELS.get(code, code)), info)
            for code, info in sorted((opportunity.evidence_seen or {}).items(), key=lambda item: str(item[1].get("at", "")))
        ],
    }


def _activities_with_evidence(activities: list[Any]) -> list[Any]:
    """Each activity with the keyword evidence found in it (shown as tags with the words that matched)."""
    tags: dict[int, list[dict[str, Any]]] = {}
    for row in activity_evidence_list(activity_ids=[a.pk for a in activities]):
        tags.setdefault(row.activity_id, []).append({"code": row.code, "words": sorted({m["word"] for m in row.matches}), "matches": row.matches})
    for activity in activities:
        activity.evidence_tags = tags.get(activity.pk, [])
    return activities


def _detail_context(request: AuthedRequest, opportunity: Opportunity, **forms: Any) -> dict[str, Any]:
    user = request.user
    return {
        "opportunity": opportunity,
        "can_edit": can_change(user=user, owner=opportunity.owner),
        "stage_history": list(stage_history_list(opportunity=opportunity)),
        "activities": _activities_with_evidence(
            list(activity_list_visible_to(user=user).filter(opportunity=opportunity).order_by("-occurred_at", "-pk")[:50])
        ),
        "documents": list(document_list_for_opportunity(user=user, opportunity_id=opportunity.pk)[:50]),
        "upload_form": DocumentUploadForm(),
        "move_missing": forms.get("move_missing") or [],
        **_gate_context(request, opportunity),
        "touch_events": list(touch_event_list_visible_to(user=user).filter(opportunity=opportunity).order_by("-occurred_at", "-pk")[:20]),
        "invoices": list(invoice_list_visible_to(user=user).filter(opportunity=opportunity).order_by("-issued_on")[:20]),
        "history": history_rows(subject=opportunity, viewer=user),
        "move_form": forms.get("move_form") or StageMoveForm(opportunity=opportunity, initial={"stage": opportunity.stage.key}),
        "lost_form": forms.get("lost_form") or LostForm(),
        "win": win_scores_today().get(opportunity.pk) if opportunity.is_open else None,
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
    missing: list[Any] = []
    if form.is_valid():
        target = form.cleaned_data["stage"]
        try:
            opportunity_move_stage(
                opportunity=opportunity, stage=target, by=request.user, now=clock_now(), override_reason=form.cleaned_data["override_reason"]
            )
        except StageApprovalRequiredError:
            # The rep meant to move on: the request for approval is that move, waiting for the manager.
            try:
                stage_move_request(opportunity=opportunity, stage=target, by=request.user, now=clock_now())
            except DomainError as exc:
                error, status = exc.message, error_status(exc)
            else:
                messages.info(request, _("“%(stage)s”需要经理审批，已提交申请。") % {"stage": target.name})
                if not on_board:
                    return redirect("web:opportunity_detail", external_id=opportunity.external_id)
        except StageEvidenceMissingError as exc:
            error, status, missing = exc.message, 422, exc.missing
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
        if not form.errors and not missing:
            form.add_error(None, error)
        return render(request, "web/opportunities/detail.html", _detail_context(request, opportunity, move_form=form, move_missing=missing), status=status)
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



@login_required
@require_POST
def opportunity_stage_decide(request: AuthedRequest, external_id: str) -> HttpResponse:
    """The manager approves or rejects the pending stage move (a rejection needs a note)."""
    opportunity = get_object_or_404(opportunity_list_visible_to(user=request.user), external_id=external_id)
    pending = get_object_or_404(opportunity.stage_requests.filter(status=StageMoveRequest.Status.PENDING))
    approve = request.POST.get("decision") == "approve"
    try:
        stage_move_decide(request=pending, by=request.user, now=clock_now(), approve=approve, note=request.POST.get("note", "")[:300])
    except DomainError as exc:
        detail = " ".join(m for errors in getattr(exc, "field_errors", {}).values() for m in errors)
        messages.error(request, detail or exc.message)
        return render(request, "web/opportunities/detail.html", _detail_context(request, opportunity), status=error_status(exc))
    messages.success(request, _("已批准，商机已推进。") if approve else _("已驳回。"))
    return redirect("web:opportunity_detail", external_id=opportunity.external_id)


# ------------------------------------------------------------------------------------------- settings: evidence


@login_required
@require_http_methods(["GET", "POST"])
def stage_gate_settings(request: AuthedRequest) -> HttpResponse:
    """Each pipeline's stages with their exit criteria (evidence actions, required fields, approval), editable; each with
    how the open deals now in that stage fare, and a dry run of unsaved criteria against them."""
    user = request.user
    if not can_edit_gates(user):
        return forbidden(request)
    trial: tuple[int, GateSpec] | None = None
    if request.method == "POST":
        stage_id = request.POST.get("stage", "")
        stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=int(stage_id) if stage_id.isdigit() else 0)
        actions, fields = request.POST.getlist("actions"), request.POST.getlist("fields")
        needs_approval = request.POST.get("needs_approval") == "on"
        if request.POST.get("dry_run"):
            known = {code for code, _label in action_choices()}
            trial = (stage.pk, GateSpec(
                tuple(a for a in actions if all(part in known for part in a.split("|"))), tuple(f for f in fields if f in REQUIRED_FIELDS), needs_approval,
            ))
        else:
            try:
                stage_gate_update(stage=stage, by=user, now=clock_now(), required_actions=actions, required_fields=fields, needs_approval=needs_approval)
            except DomainError as exc:
                detail = " ".join(m for errors in getattr(exc, "field_errors", {}).values() for m in errors)
                messages.error(request, detail or exc.message)
            else:
                messages.success(request, _("“%(pipeline)s · %(stage)s”的准出条件已保存。") % {"pipeline": stage.pipeline.name, "stage": stage.name})
            return redirect(f"{reverse('web:stage_gate_settings')}#stage-{stage.pk}")
    now = clock_now()
    pipelines = []
    for pipeline in pipeline_list():
        rows = []
        for stage in pipeline.stages.all():
            tried = trial is not None and trial[0] == stage.pk
            spec = trial[1] if trial is not None and tried else gate_spec(stage)
            rows.append({"stage": stage, "actions": set(spec.required_actions), "fields": set(spec.required_fields), "needs_approval": spec.needs_approval,
                         "version": getattr(getattr(stage, "gate", None), "version", 0), "tried": tried,
                         "dry_run": gate_dry_run(stage=stage, spec=spec, now=now),
                         "extra_actions": [(code, action_label(code)) for code in spec.required_actions if "|" in code]})
        pipelines.append({"pipeline": pipeline, "rows": rows})
    return render(request, "web/opportunities/gates.html", {
        "pipelines": pipelines, "action_choices": action_choices(), "field_choices": [(k, v) for k, v in REQUIRED_FIELDS.items()],
    })


@login_required
@require_http_methods(["GET", "POST"])
def keyword_settings(request: AuthedRequest) -> HttpResponse:
    """The keyword dictionaries (报价、合同、三方比价、竞品 …): one word per line, versioned."""
    user = request.user
    if not can_edit_dictionaries(user):
        return forbidden(request)
    if request.method == "POST":
        dictionary = get_object_or_404(KeywordDictionary, code=request.POST.get("code", ""))
        try:
            keyword_dictionary_update(
                dictionary=dictionary, by=user, now=clock_now(), words=words_parse(request.POST.get("words", "")[:5000]),
                enabled=request.POST.get("enabled") == "on",
            )
        except DomainError as exc:
            detail = " ".join(m for errors in getattr(exc, "field_errors", {}).values() for m in errors)
            messages.error(request, detail or exc.message)
        else:
            messages.success(request, _("“%(label)s”已保存，之后的跟进记录按新词典识别。") % {"label": dictionary.label})
        return redirect("web:keyword_settings")
    stage_names = dict(DEFAULT_STAGE_NAMES)
    rows = [
        {"d": d, "words_text": "\n".join(d.words), "stage_name": stage_names.get(d.stage_key, d.stage_key)}
        for d in keyword_dictionary_list()
    ]
    return render(request, "web/opportunities/keywords.html", {"rows": rows, "learned": competitors_learned()})


@login_required
@require_http_methods(["GET"])
def stage_gate_export(request: AuthedRequest) -> HttpResponse:
    """Pipelines, stage gates and keyword dictionaries as one YAML file."""
    if not can_edit_gates(request.user):
        return forbidden(request)
    dictionaries = [
        {"code": d.code, "label": d.label, "stage_key": d.stage_key, "competitors": d.is_competitor, "enabled": d.enabled, "version": d.version, "words": d.words}
        for d in keyword_dictionary_list()
    ]
    response = HttpResponse(stage_gates_yaml(now=clock_now(), dictionaries=dictionaries), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="stage-gates-{clock_today():%Y%m%d}.yaml"'
    return response
