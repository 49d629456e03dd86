"""/api/activities, /api/tasks and /api/touch-events."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from xiaoguan.activities.selectors import activity_list_visible_to, task_list_visible_to
from xiaoguan.activities.services import activity_log, task_complete, task_create
from xiaoguan.api.auth import viewer
from xiaoguan.api.errors import with_errors
from xiaoguan.api.pagination import PageParams, page_build
from xiaoguan.api.refs import References, visible_or_404
from xiaoguan.api.schemas.activities import (
    ActivityFilters,
    ActivityIn,
    ActivityOut,
    ActivityPage,
    TaskFilters,
    TaskIn,
    TaskOut,
    TaskPage,
    TouchEventFilters,
    TouchEventOut,
    TouchEventPage,
)
from xiaoguan.api.schemas.common import ExternalId
from xiaoguan.core.clock import clock_now
from xiaoguan.engagement.selectors import touch_event_list_visible_to

activities_router = Router(tags=["activities 跟进"])
tasks_router = Router(tags=["tasks 待办"])
touch_events_router = Router(tags=["touch events 触点"])


@activities_router.get("", response=with_errors({200: ActivityPage}), summary="跟进记录列表")
def activities_list(request: HttpRequest, filters: Query[ActivityFilters], page: Query[PageParams]) -> Any:
    """Newest `occurred_at` first."""
    user = viewer(request)
    activities = activity_list_visible_to(user=user).select_related("account", "opportunity", "lead")
    if filters.account_id:
        activities = activities.filter(account__external_id=filters.account_id)
    if filters.opportunity_id:
        activities = activities.filter(opportunity__external_id=filters.opportunity_id)
    if filters.lead_id:
        activities = activities.filter(lead__external_id=filters.lead_id)
    if filters.owner_id:
        activities = activities.filter(owner__external_id=filters.owner_id)
    if filters.kind is not None:
        activities = activities.filter(kind=filters.kind.value)
    if filters.occurred_after is not None:
        activities = activities.filter(occurred_at__gte=filters.occurred_after)
    if filters.occurred_before is not None:
        activities = activities.filter(occurred_at__lt=filters.occurred_before)
    return page_build(request=request, queryset=activities.order_by("-occurred_at", "-pk"), params=page, item=ActivityOut.of)


@activities_router.get("/{activity_id}", response=with_errors({200: ActivityOut}), summary="跟进记录详情")
def activities_get(request: HttpRequest, activity_id: ExternalId) -> Any:
    return ActivityOut.of(visible_or_404(activity_list_visible_to(user=viewer(request)), activity_id))


@activities_router.post("", response=with_errors({201: ActivityOut}), summary="记录跟进")
def activities_create(request: HttpRequest, payload: ActivityIn) -> Any:
    user = viewer(request)
    refs = References(viewer=user)
    account = refs.account("account_id", payload.account_id)
    opportunity = refs.opportunity("opportunity_id", payload.opportunity_id)
    lead = refs.lead("lead_id", payload.lead_id)
    refs.check()
    activity = activity_log(
        by=user, now=clock_now(), kind=payload.kind.value, account=account, opportunity=opportunity, lead=lead,
        occurred_at=payload.occurred_at, content=payload.content, duration_seconds=payload.duration_seconds,
        lat=payload.lat, lng=payload.lng, next_follow_up_at=payload.next_follow_up_at,
    )
    return Status(201, ActivityOut.of(activity))


@tasks_router.get("", response=with_errors({200: TaskPage}), summary="待办列表")
def tasks_list(request: HttpRequest, filters: Query[TaskFilters], page: Query[PageParams]) -> Any:
    """Earliest due first."""
    user = viewer(request)
    tasks = task_list_visible_to(user=user)
    if filters.owner_id:
        tasks = tasks.filter(owner__external_id=filters.owner_id)
    if filters.done is not None:
        tasks = tasks.filter(done_at__isnull=not filters.done)
    if filters.due_before is not None:
        tasks = tasks.filter(due_at__lt=filters.due_before)
    if filters.account_id:
        tasks = tasks.filter(account__external_id=filters.account_id)
    if filters.opportunity_id:
        tasks = tasks.filter(opportunity__external_id=filters.opportunity_id)
    if filters.lead_id:
        tasks = tasks.filter(lead__external_id=filters.lead_id)
    return page_build(request=request, queryset=tasks.order_by("due_at", "pk"), params=page, item=TaskOut.of)


@tasks_router.get("/{task_id}", response=with_errors({200: TaskOut}), summary="待办详情")
def tasks_get(request: HttpRequest, task_id: ExternalId) -> Any:
    return TaskOut.of(visible_or_404(task_list_visible_to(user=viewer(request)), task_id))


@tasks_router.post("", response=with_errors({201: TaskOut}), summary="新建待办")
def tasks_create(request: HttpRequest, payload: TaskIn) -> Any:
    user = viewer(request)
    refs = References(viewer=user)
    owner = refs.user("owner_id", payload.owner_id)
    account = refs.account("account_id", payload.account_id)
    opportunity = refs.opportunity("opportunity_id", payload.opportunity_id)
    lead = refs.lead("lead_id", payload.lead_id)
    refs.check()
    task = task_create(
        by=user, now=clock_now(), title=payload.title, due_at=payload.due_at, owner=owner, account=account,
        opportunity=opportunity, lead=lead,
    )
    return Status(201, TaskOut.of(task))


@tasks_router.post("/{task_id}/complete", response=with_errors({200: TaskOut}), summary="完成待办")
def tasks_complete(request: HttpRequest, task_id: ExternalId) -> Any:
    user = viewer(request)
    task = visible_or_404(task_list_visible_to(user=user), task_id)
    return TaskOut.of(task_complete(task=task, by=user, now=clock_now()))


@touch_events_router.get("", response=with_errors({200: TouchEventPage}), summary="触点行为列表")
def touch_events_list(request: HttpRequest, filters: Query[TouchEventFilters], page: Query[PageParams]) -> Any:
    """Newest first."""
    events = touch_event_list_visible_to(user=viewer(request)).select_related("account", "opportunity")
    if filters.account_id:
        events = events.filter(account__external_id=filters.account_id)
    if filters.opportunity_id:
        events = events.filter(opportunity__external_id=filters.opportunity_id)
    if filters.kind is not None:
        events = events.filter(kind=filters.kind.value)
    if filters.occurred_after is not None:
        events = events.filter(occurred_at__gte=filters.occurred_after)
    if filters.occurred_before is not None:
        events = events.filter(occurred_at__lt=filters.occurred_before)
    return page_build(request=request, queryset=events.order_by("-occurred_at", "-pk"), params=page, item=TouchEventOut.of)


@touch_events_router.get("/{event_id}", response=with_errors({200: TouchEventOut}), summary="触点行为详情")
def touch_events_get(request: HttpRequest, event_id: ExternalId) -> Any:
    return TouchEventOut.of(visible_or_404(touch_event_list_visible_to(user=viewer(request)), event_id))
