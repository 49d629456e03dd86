"""/api/call-logs: the phone system reports a call; capture turns it into a lead or a call activity."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from xiaoguan.api.auth import viewer
from xiaoguan.api.errors import with_errors
from xiaoguan.api.refs import References
from xiaoguan.api.schemas.common import DateTimeIn, ExternalId, Text16, Text32
from xiaoguan.capture.services import call_log_record
from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import NotAllowedError
from xiaoguan.org.models import Role, User

router = Router(tags=["call-logs 通话记录"])


class CallLogIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "caller": "+86 139 0000 1234", "callee": "021-61234567", "started_at": "2025-03-07T15:42:10+08:00",
            "duration_seconds": 184, "rep_id": "u-rep", "direction": "in",
        }]},
    )

    caller: Text32
    callee: Text32
    started_at: DateTimeIn
    duration_seconds: int = Field(ge=0, le=86400)
    rep_id: ExternalId | None = Field(None, description="接听或拨出的销售；缺省为自己（管理员令牌可代任何人上报）")
    direction: Text16 = Field("", description="in / out；缺省按销售本人的手机号判断，否则视为呼入")


class CallLogOut(Schema):
    outcome: str = Field(description="created / merged / linked / activity / duplicate / ignored")
    lead_id: str | None
    activity_id: int | None
    reason: str


def _is_admin(user: User) -> bool:
    return user.role == Role.ADMIN or user.is_superuser


@router.post("", response=with_errors({200: CallLogOut}), summary="上报一通电话")
def call_logs_create(request: HttpRequest, payload: CallLogIn) -> Any:
    """An inbound call from an unknown number → a lead (source phone); an answered call (duration > 0) between a rep
    and an open lead's number → a call activity on that lead, which is its first contact. The same call (caller,
    callee, start) reported twice is recorded once (`duplicate`)."""
    user = viewer(request)
    if not _is_admin(user) and payload.rep_id not in (None, user.external_id):
        raise NotAllowedError()  # a rep reports their own calls; the phone system's admin token reports anyone's
    refs = References(viewer=user)
    rep = refs.user("rep_id", payload.rep_id) if payload.rep_id else (None if _is_admin(user) else user)
    refs.check()
    if rep is not None and rep != user and not _is_admin(user):
        raise NotAllowedError()
    if rep is None and not _is_admin(user):
        raise NotAllowedError()
    outcome = call_log_record(
        caller=payload.caller, callee=payload.callee, started_at=payload.started_at, duration_seconds=payload.duration_seconds,
        rep=rep, by=user, now=clock_now(), direction=payload.direction,
    )
    return CallLogOut(
        outcome=outcome.outcome, lead_id=outcome.lead.external_id if outcome.lead else None,
        activity_id=outcome.activity.pk if outcome.activity else None, reason=outcome.reason,
    )
