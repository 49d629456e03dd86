"""Writes of tracked links: send one (per recipient), revoke it, and a recipient booking a meeting through one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Task
from xiaoguan.activities.services import task_create
from xiaoguan.automation.services import notify
from xiaoguan.core.clock import org_tz
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.customers.models import Contact
from xiaoguan.documents.models import Document
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import User
from xiaoguan.org.visibility import can_change
from xiaoguan.tracking.hits import event_insert, link_info, touch_external_id
from xiaoguan.tracking.models import TrackedLink
from xiaoguan.worktime.selectors import is_workday

BOOKING_DAYS = 5
BOOKING_TIMES = (time(10, 0), time(14, 0), time(16, 0))
MAX_EXPIRY_DAYS = 365


def booking_slots_offer(*, now: datetime, team_id: int | None, days: int = BOOKING_DAYS) -> list[datetime]:
    """The next `days` working days (the team's calendar: holidays and make-up days) at 10:00, 14:00 and 16:00."""
    slots: list[datetime] = []
    day: date = now.astimezone(org_tz()).date()
    while len(slots) < days * len(BOOKING_TIMES):
        day += timedelta(days=1)
        if is_workday(day, team_id=team_id):
            slots.extend(datetime.combine(day, t, tzinfo=org_tz()) for t in BOOKING_TIMES)
    return slots


@transaction.atomic
def tracked_link_create(
    *,
    opportunity: Opportunity,
    by: User,
    now: datetime,
    kind: str,
    contact: Contact | None = None,
    recipient: str = "",
    document: Document | None = None,
    url: str = "",
    label: str = "",
    expires_days: int | None = None,
) -> TrackedLink:
    """One link for one recipient of the deal, and the "sent" touch event (the evidence a quote went out)."""
    if not can_change(user=by, owner=opportunity.owner):
        raise NotAllowedError()
    errors: dict[str, list[str]] = {}
    if contact is not None and contact.account_id != opportunity.account_id:
        errors["contact"] = [_("联系人不属于该商机的客户")]
    if contact is None and not recipient.strip():
        errors["recipient"] = [_("请选择联系人或填写收件人")]
    if kind == TrackedLink.Kind.DOCUMENT:
        if document is None:
            errors["document"] = [_("请选择要发送的资料")]
        elif document.opportunity_id not in (None, opportunity.pk) or document.account_id not in (None, opportunity.account_id):
            errors["document"] = [_("这份资料不属于该商机")]
    elif kind == TrackedLink.Kind.URL:
        if not url.startswith(("https://", "http://")):
            errors["url"] = [_("请填写以 http:// 或 https:// 开头的网址")]
    elif kind != TrackedLink.Kind.BOOKING:
        errors["kind"] = [_("未知的链接类型")]
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        errors["expires_days"] = [_("有效期为 1–365 天")]
    if errors:
        raise ValidationFailedError(field_errors=errors)
    if not label.strip():
        label = document.original_name if document is not None else (_("会议预约") if kind == TrackedLink.Kind.BOOKING else url)
    link = TrackedLink.objects.create(
        kind=kind, label=label.strip()[:200], url=url if kind == TrackedLink.Kind.URL else "",
        document=document if kind == TrackedLink.Kind.DOCUMENT else None,
        account_id=opportunity.account_id, contact=contact, opportunity=opportunity, recipient=recipient.strip()[:100],
        created_by=by, created_at=now, expires_at=now + timedelta(days=expires_days) if expires_days else None,
        slots=[s.isoformat() for s in booking_slots_offer(now=now, team_id=opportunity.owner.team_id)] if kind == TrackedLink.Kind.BOOKING else [],
    )
    info = link_info(link.pk)
    assert info is not None  # noqa: S101 — written just above, in this transaction
    event_insert(link=info, kind=TouchEvent.Kind.SENT, external_id=touch_external_id(link, TouchEvent.Kind.SENT), now=now)
    return link


@transaction.atomic
def tracked_link_revoke(*, link: TrackedLink, by: User, now: datetime) -> TrackedLink:
    """The link stops answering (404) at once in this process, within 30 s in the others."""
    if not can_change(user=by, owner=link.opportunity.owner if link.opportunity else link.account.owner):
        raise NotAllowedError()
    if link.revoked_at is None:
        link.revoked_at = now
        link.save(update_fields=["revoked_at"])
    return link


def booking_taken(*, link: TrackedLink) -> TouchEvent | None:
    return TouchEvent.objects.filter(external_id=touch_external_id(link, TouchEvent.Kind.MEETING_BOOKED)).first()


@transaction.atomic
def booking_confirm(*, link: TrackedLink, slot: datetime, now: datetime, note: str = "") -> Task:
    """The recipient picked a time: a meeting_booked touch event, a to-do at that time and the bell for the owner."""
    if link.kind != TrackedLink.Kind.BOOKING or link.revoked_at is not None or (link.expires_at and link.expires_at <= now):
        raise InvalidStateError(_("该预约链接已失效"))
    if slot.isoformat() not in link.slots or slot <= now:
        raise ValidationFailedError(field_errors={"slot": [_("请选择页面上列出的时间")]})
    info = link_info(link.pk)
    assert info is not None  # noqa: S101 — the caller holds the row
    if not event_insert(link=info, kind=TouchEvent.Kind.MEETING_BOOKED, external_id=touch_external_id(link, TouchEvent.Kind.MEETING_BOOKED), now=now):
        raise InvalidStateError(_("已经预约过了，如需改期请直接联系销售"))
    owner = link.opportunity.owner if link.opportunity else link.created_by
    who = link.contact.name if link.contact else link.recipient
    title = _("客户预约会议：%(who)s（%(account)s）") % {"who": who, "account": link.account.name}
    task = task_create(by=owner, owner=owner, now=now, title=title, due_at=slot, account=link.account, opportunity=link.opportunity, source=Task.Source.SYSTEM)
    body = _("时间 %(at)s，时长 %(minutes)s 分钟。") % {"at": slot.astimezone(org_tz()).strftime("%m-%d %H:%M"), "minutes": link.meeting_minutes}
    if note.strip():
        body += _("客户留言：%(note)s") % {"note": note.strip()[:300]}
    notify(
        recipient=owner, kind="meeting_booked", title=title, body=body, now=now, dedupe_key=f"meeting-booked:{link.pk}",
        link=reverse("web:opportunity_detail", args=[link.opportunity.external_id]) if link.opportunity else "",
        subject_kind="task", subject_id=task.pk,
    )
    return task
