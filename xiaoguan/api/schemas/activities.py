"""Follow-ups (跟进记录), tasks (待办) and touch events (触点行为)."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from xiaoguan.activities.models import Activity, Task
from xiaoguan.api.pagination import Page
from xiaoguan.api.schemas.common import (
    DateTimeIn,
    DateTimeOut,
    ExternalId,
    IdFilter,
    Latitude,
    Longitude,
    LongText,
    Name200,
    PositiveInt,
    QueryBool,
    external_id_of,
    number_or_none,
)
from xiaoguan.api.schemas.enums import ActivityKind, TaskSource, TouchEventKind
from xiaoguan.engagement.models import TouchEvent


class ActivityOut(Schema):
    id: str
    owner_id: str
    account_id: str | None
    opportunity_id: str | None
    lead_id: str | None
    kind: ActivityKind
    occurred_at: DateTimeOut = Field(description="发生时间（自述）")
    recorded_at: DateTimeOut = Field(description="录入时间")
    duration_seconds: int | None
    content: str
    lat: float | None
    lng: float | None

    @classmethod
    def of(cls, activity: Activity) -> ActivityOut:
        return cls(
            id=activity.external_id, owner_id=activity.owner.external_id, account_id=external_id_of(activity.account),
            opportunity_id=external_id_of(activity.opportunity), lead_id=external_id_of(activity.lead),
            kind=ActivityKind(activity.kind), occurred_at=activity.occurred_at, recorded_at=activity.recorded_at,
            duration_seconds=activity.duration_seconds, content=activity.content, lat=number_or_none(activity.lat), lng=number_or_none(activity.lng),
        )


class ActivityPage(Page):
    items: list[ActivityOut]


class ActivityFilters(Schema):
    account_id: IdFilter = ""
    opportunity_id: IdFilter = ""
    lead_id: IdFilter = ""
    owner_id: IdFilter = ""
    kind: ActivityKind | None = None
    occurred_after: DateTimeIn | None = Field(None, description="发生时间 ≥")
    occurred_before: DateTimeIn | None = Field(None, description="发生时间 <")


class ActivityIn(Schema):
    """What the caller did; at least one of account_id, opportunity_id, lead_id. `recorded_at` is always now."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "kind": "visit", "account_id": "xg-A-000123", "occurred_at": "2025-03-07T15:42:10+08:00",
            "content": "拜访设备科，了解采购计划", "duration_seconds": 3600
        }]},
    )

    kind: ActivityKind
    account_id: ExternalId | None = None
    opportunity_id: ExternalId | None = None
    lead_id: ExternalId | None = None
    occurred_at: DateTimeIn | None = Field(None, description="缺省为现在")
    content: LongText = ""
    duration_seconds: PositiveInt | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    next_follow_up_at: DateTimeIn | None = Field(None, description="下次跟进时间：同时生成一条待办")


class TaskOut(Schema):
    id: str
    owner_id: str
    title: str
    due_at: DateTimeOut
    source: TaskSource
    created_at: DateTimeOut
    done_at: DateTimeOut | None
    done: bool
    account_id: str | None
    opportunity_id: str | None
    lead_id: str | None

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        return cls(
            id=task.external_id, owner_id=task.owner.external_id, title=task.title, due_at=task.due_at,
            source=TaskSource(task.source), created_at=task.created_at, done_at=task.done_at, done=task.done_at is not None,
            account_id=external_id_of(task.account), opportunity_id=external_id_of(task.opportunity),
            lead_id=external_id_of(task.lead),
        )


class TaskPage(Page):
    items: list[TaskOut]


class TaskFilters(Schema):
    owner_id: IdFilter = ""
    done: QueryBool | None = Field(None, description="true 已完成；false 未完成")
    due_before: DateTimeIn | None = Field(None, description="截止时间 <")
    account_id: IdFilter = ""
    opportunity_id: IdFilter = ""
    lead_id: IdFilter = ""


class TaskIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "title": "发送报价单", "due_at": "2025-03-10T10:00:00+08:00", "account_id": "xg-A-000123"
        }]},
    )

    title: Name200
    due_at: DateTimeIn
    owner_id: ExternalId | None = Field(None, description="缺省为自己")
    account_id: ExternalId | None = None
    opportunity_id: ExternalId | None = None
    lead_id: ExternalId | None = None


class TouchEventOut(Schema):
    id: str
    tracked_item_id: str
    document: str
    account_id: str | None
    contact_id: str | None
    opportunity_id: str | None
    kind: TouchEventKind
    occurred_at: DateTimeOut

    @classmethod
    def of(cls, event: TouchEvent) -> TouchEventOut:
        return cls(
            id=event.external_id, tracked_item_id=event.tracked_item_key, document=event.document,
            account_id=external_id_of(event.account), contact_id=external_id_of(event.contact),
            opportunity_id=external_id_of(event.opportunity), kind=TouchEventKind(event.kind), occurred_at=event.occurred_at,
        )


class TouchEventPage(Page):
    items: list[TouchEventOut]


class TouchEventFilters(Schema):
    account_id: IdFilter = ""
    opportunity_id: IdFilter = ""
    kind: TouchEventKind | None = None
    occurred_after: DateTimeIn | None = None
    occurred_before: DateTimeIn | None = None
