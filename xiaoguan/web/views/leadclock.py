"""The lead pool (公海) a rep claims from, and the managers' live SLA board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import DomainError
from xiaoguan.leads.models import Lead
from xiaoguan.leads.policy import lead_policy_for
from xiaoguan.leads.selectors import lead_list_visible_to, lead_pool_visible_to, lead_sla_stats, lead_sla_stats_by_owner
from xiaoguan.leads.services import lead_claim, lead_pool_claims_today
from xiaoguan.org.models import Role
from xiaoguan.org.selectors import user_reports
from xiaoguan.routing.selectors import rep_states
from xiaoguan.web.views.common import AuthedRequest, forbidden, leads_team, page_number, page_window

SLA_WINDOW = timedelta(days=30)
# The seeds' health lines (first response ≤ 2 h; ≥ 95 % contacted within 72 h of assignment).
HEALTH_72H = 0.95
HEALTH_2H = 0.95


@login_required
def lead_pool(request: AuthedRequest) -> HttpResponse:
    user = request.user
    pool = lead_pool_visible_to(user=user).order_by("-pool_since", "-pk")
    now = clock_now()
    can_claim = user.role in (Role.REP, Role.MANAGER)
    limit = lead_policy_for(team_id=user.team_id).pool_claim_daily_limit
    context = {
        "window": page_window(pool, number=page_number(request)),
        "can_claim": can_claim,
        "claimed_today": lead_pool_claims_today(rep=user, now=now) if can_claim else 0,
        "limit": limit,
        "region": user.team.region() if user.team else None,
    }
    return render(request, "web/leadclock/pool.html", context)


@login_required
@require_POST
def lead_pool_claim(request: AuthedRequest, external_id: str) -> HttpResponse:
    lead = get_object_or_404(lead_pool_visible_to(user=request.user), external_id=external_id)
    try:
        lead_claim(lead=lead, rep=request.user, now=clock_now())
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("web:lead_pool")
    messages.success(request, _("已领取：%(lead)s。请在时限内完成首次联系。") % {"lead": lead})
    return redirect("web:lead_detail", external_id=lead.external_id)


@login_required
def sla_board(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    now = clock_now()
    leads = lead_list_visible_to(user=user)
    stats = lead_sla_stats(leads=leads, since=now - SLA_WINDOW, now=now)
    reps = list(user_reports(manager=user).filter(role=Role.REP, is_active=True)[:300])
    states = rep_states(rep_ids=[r.pk for r in reps], now=now)
    by_rep = lead_sla_stats_by_owner(leads=leads, owner_ids=[r.pk for r in reps], since=now - SLA_WINDOW, now=now)
    per_rep: list[dict[str, Any]] = []
    for rep in reps:
        state = states.get(rep.pk)
        per_rep.append({"rep": rep, "stats": by_rep[rep.pk], "state": state, "over_cap": bool(state and state.today >= state.cap)})
    per_rep.sort(key=lambda row: (-row["stats"].overdue_now, row["rep"].name))
    overdue = (
        leads.filter(first_contact_at__isnull=True, first_contact_due_at__lt=now)
        .exclude(status__in=Lead.CLOSED_STATUSES).select_related("owner").order_by("first_contact_due_at")[:50]
    )
    context = {
        "stats": stats, "per_rep": per_rep, "overdue": overdue, "now": now,
        "health_72h": HEALTH_72H, "health_2h": HEALTH_2H,
        "healthy_72h": stats.within_72h_rate is None or stats.within_72h_rate >= HEALTH_72H,
        "healthy_2h": stats.within_2h_rate is None or stats.within_2h_rate >= HEALTH_2H,
    }
    template = "web/leadclock/sla.html#board" if request.htmx else "web/leadclock/sla.html"
    return render(request, template, context)


# The admin's map of the lead engine's settings: each area's page, shown once that page exists.
SETTINGS_PAGES = (
    ("web:routing_rules", "分配规则", "条件、顺序、轮询/最少负载、每日上限，保存前可试运行"),
    ("web:routing_queue", "待分配队列", "没有规则命中或所有人已满的线索，手工派单"),
    ("web:routing_capacity", "销售接单能力", "每日上限、休假与暂停接单"),
    ("web:capture_home", "线索渠道", "官网表单嵌入代码、企业微信 / 钉钉回调地址与密钥"),
    ("web:capture_calls", "通话记录导入", "呼入未知号码生成线索，外呼记为跟进"),
    ("web:worktime_calendar", "工作日历", "法定节假日、调休与各团队工作时间"),
    ("web:geo_cities", "城市与大区", "城市所属省份、坐标与大区归属"),
    ("web:notify_bots", "群机器人", "企业微信、钉钉、飞书群通知"),
    ("web:notify_deliveries", "投递记录", "邮件、工作通知与群消息的发送结果与重试"),
)


@login_required
def lead_settings(request: AuthedRequest) -> HttpResponse:
    from django.urls import NoReverseMatch, reverse

    from xiaoguan.leads.services import lead_policy_save
    from xiaoguan.web.forms import LeadPolicyForm

    user = request.user
    if user.role not in (Role.ADMIN, Role.DIRECTOR) and not user.is_superuser:
        return forbidden(request)
    pages = []
    for name, label, description in SETTINGS_PAGES:
        try:
            pages.append({"url": reverse(name), "label": _(label), "description": _(description)})
        except NoReverseMatch:
            continue
    policy = lead_policy_for(team_id=None)
    form = LeadPolicyForm(request.POST or None, initial=policy.__dict__)
    if request.method == "POST" and form.is_valid():
        try:
            lead_policy_save(by=user, now=clock_now(), values=form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("线索时效规则已保存，新分配的线索按新规则计时。"))
            return redirect("web:lead_settings")
    return render(request, "web/leadclock/settings.html", {"pages": pages, "form": form})
