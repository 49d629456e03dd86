"""管理: invite a colleague, hand a leaving person's records over. Admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xiaoguan.activities.selectors import task_list_visible_to
from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import DomainError
from xiaoguan.customers.selectors import account_list_visible_to
from xiaoguan.leads.selectors import lead_list_visible_to
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.selectors import user_list_visible_to
from xiaoguan.org.services import owner_handover, user_invite
from xiaoguan.web.forms import HandoverForm, InviteForm
from xiaoguan.web.views.common import AuthedRequest, forbidden, form_take_error, is_admin

PENDING_SHOWN = 20
# Roles that own sales records and so can leave some behind or take them over.
OWNER_ROLES = (Role.REP, Role.MANAGER, Role.DIRECTOR)


def handover_preview(*, by: User, leaving: User) -> dict[str, int]:
    """What the leaving person owns now: the counts the admin confirms before anything moves."""
    return {
        "accounts": account_list_visible_to(user=by).filter(owner=leaving).count(),
        "opportunities": opportunity_list_visible_to(user=by).filter(owner=leaving).count(),
        "leads": lead_list_visible_to(user=by).filter(owner=leaving).count(),
        "tasks": task_list_visible_to(user=by).filter(owner=leaving, done_at__isnull=True).count(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def handover(request: AuthedRequest) -> HttpResponse:
    """Pick the leaving person and the receivers, see the counts, confirm; `owner_handover` moves all with history."""
    user = request.user
    if not is_admin(user):
        return forbidden(request)
    people = user_list_visible_to(user=user).filter(role__in=OWNER_ROLES).order_by("-is_active", "team__path", "name")
    form = HandoverForm(request.POST or None, users=people)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        context.update(leaving=data["from_user"], receivers=data["to_users"], preview=handover_preview(by=user, leaving=data["from_user"]))
        if request.POST.get("confirm") == "1":
            try:
                result = owner_handover(
                    from_user=data["from_user"], to_users=data["to_users"], by=user, now=clock_now(), deactivate=data["deactivate"]
                )
            except DomainError as exc:
                form_take_error(form, exc)
            else:
                messages.success(request, _("交接完成：客户 %(a)s 个、商机 %(o)s 个、线索 %(l)s 条、待办 %(t)s 项。") % {
                    "a": result.accounts, "o": result.opportunities, "l": result.leads, "t": result.tasks,
                })
                return render(request, "web/manage/handover_done.html", {
                    # A Counter answers 0 for a missing key, so templates must not look up `.items` on it.
                    "result": result, "leaving": data["from_user"], "by_receiver": sorted(result.by_receiver.items()),
                })
    return render(request, "web/manage/handover.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: AuthedRequest) -> HttpResponse:
    """Invite a colleague by e-mail; they set their own password from the link."""
    user = request.user
    if not is_admin(user):
        return forbidden(request)
    visible = user_list_visible_to(user=user)
    form = InviteForm(
        request.POST or None,
        teams=Team.objects.order_by("path"),
        managers=visible.filter(is_active=True, role__in=[Role.MANAGER, Role.DIRECTOR, Role.ADMIN]).order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invited = user_invite(
                by=user, now=clock_now(), email=data["email"], name=data["name"], role=data["role"], team=data["team"], manager=data["manager"]
            )
        except DomainError as exc:
            form_take_error(form, exc)
        else:
            messages.success(request, _("邀请邮件已发送至 %(email)s。") % {"email": invited.email})
            return redirect("web:invite")
    pending = visible.filter(is_active=True, email__isnull=False, password__startswith=UNUSABLE_PASSWORD_PREFIX).order_by("-date_joined")[:PENDING_SHOWN]
    return render(request, "web/manage/invite.html", {"form": form, "pending": pending}, status=422 if form.errors else 200)
