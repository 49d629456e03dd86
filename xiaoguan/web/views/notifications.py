"""The bell: the unread count every open page polls, the list, open-and-mark-read, mark all read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from xiaoguan.automation.selectors import notification_list_for, notification_unread_count
from xiaoguan.automation.services import notifications_mark_read
from xiaoguan.core.clock import clock_now
from xiaoguan.web.views.common import AuthedRequest, page_number, page_window


@login_required
def notification_badge(request: AuthedRequest) -> HttpResponse:
    response = render(request, "web/notifications/badge.html", {"unread": notification_unread_count(user=request.user)})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def notification_list(request: AuthedRequest) -> HttpResponse:
    only_unread = request.GET.get("unread") == "1"
    notifications = notification_list_for(user=request.user, unread_only=only_unread)
    context = {"window": page_window(notifications, number=page_number(request)), "only_unread": only_unread,
               "unread": notification_unread_count(user=request.user)}
    return render(request, "web/notifications/list.html", context)


@login_required
def notification_open(request: AuthedRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(notification_list_for(user=request.user), pk=pk)
    notifications_mark_read(user=request.user, now=clock_now(), ids=[notification.pk])
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("web:notification_list")


@login_required
@require_POST
def notification_read_all(request: AuthedRequest) -> HttpResponse:
    notifications_mark_read(user=request.user, now=clock_now())
    return redirect("web:notification_list")
