"""Writes of the background runtime: arm and stop timers, notify people (in-app row + outside deliveries)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.db import transaction

from xiaoguan.automation.models import BotWebhook, Delivery, Notification, NotificationPreference, Timer
from xiaoguan.automation.registry import NOTIFICATION_KINDS
from xiaoguan.core.bulk import WriteBatch, rows_insert
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.org.models import Team, User


@dataclass(frozen=True)
class TimerSpec:
    subject_id: int
    due_at: datetime
    step: int = 0
    payload: dict[str, Any] | None = None


_TIMER_FIELDS = ["kind", "subject_kind", "subject_id", "step", "due_at", "armed_at", "fired_count", "payload"]
_TIMER_CONFLICT = ["kind", "subject_kind", "subject_id"]
_TIMER_REARM = ["step", "due_at", "armed_at", "payload"]


def timers_arm(*, kind: str, subject_kind: str, specs: Sequence[TimerSpec], now: datetime) -> None:
    """Start (or move) the clock of `kind` on each subject: one upsert statement, however many subjects."""
    rows_insert(
        model=Timer, fields=_TIMER_FIELDS, conflict=_TIMER_CONFLICT, update=_TIMER_REARM,
        rows=[(kind, subject_kind, s.subject_id, s.step, s.due_at, now, 0, s.payload or {}) for s in specs],
    )


def timer_arm_plan(batch: WriteBatch, *, kind: str, subject_kind: str, spec: TimerSpec, now: datetime) -> None:
    """`timers_arm` of one subject as a row of the caller's WriteBatch (the subject may be a row of the same batch)."""
    timer = Timer(kind=kind, subject_kind=subject_kind, subject_id=spec.subject_id, step=spec.step, due_at=spec.due_at, armed_at=now,
                  fired_count=0, payload=spec.payload or {})
    batch.insert(timer, conflict=_TIMER_CONFLICT, update=_TIMER_REARM)


def timer_arm(*, kind: str, subject_kind: str, subject_id: int, due_at: datetime, now: datetime, step: int = 0, payload: dict[str, Any] | None = None) -> None:
    timers_arm(kind=kind, subject_kind=subject_kind, specs=[TimerSpec(subject_id=subject_id, due_at=due_at, step=step, payload=payload)], now=now)


def timers_stop(*, kind: str, subject_kind: str, subject_ids: Iterable[int]) -> int:
    """Stop the clocks (the rows stay: when and how far they ran is history)."""
    return Timer.objects.filter(kind=kind, subject_kind=subject_kind, subject_id__in=list(subject_ids), due_at__isnull=False).update(due_at=None)


@dataclass(frozen=True)
class NotificationDraft:
    recipient: User
    kind: str
    title: str
    dedupe_key: str
    body: str = ""
    link: str = ""
    subject_kind: str = ""
    subject_id: int | None = None


def notify(
    *,
    recipient: User,
    kind: str,
    title: str,
    dedupe_key: str,
    now: datetime,
    body: str = "",
    link: str = "",
    subject_kind: str = "",
    subject_id: int | None = None,
) -> Notification | None:
    """Tell one person something, once: a second call with the same `dedupe_key` does nothing and returns None.

    The bell's row is written in the caller's transaction; e-mail, work notices and group bots go out after commit.
    """
    draft = NotificationDraft(
        recipient=recipient, kind=kind, title=title, dedupe_key=dedupe_key, body=body, link=link, subject_kind=subject_kind, subject_id=subject_id
    )
    batch = WriteBatch()
    notification = notify_plan(batch, draft=draft, now=now)
    # No savepoint of its own: the caller's transaction (or this one) is undone whole on failure.
    batch.run(savepoint=False)
    return notification if notification.pk is not None else None


def notify_plan(batch: WriteBatch, *, draft: NotificationDraft, now: datetime) -> Notification:
    """`notify` as rows of the caller's WriteBatch: the bell's row (nothing when its dedupe key exists; ON CONFLICT DO
    NOTHING rather than an IntegrityError, so no savepoint) and its deliveries, which wait for it."""
    notification = Notification(**_row(draft, now))
    ref = batch.insert(notification, conflict=["dedupe_key"])
    deliveries = _deliveries_for([notification], now=now)
    for delivery in deliveries:
        batch.insert(delivery, needs=[ref])
    if deliveries and not _queue_in_this_database():
        # With the database queue (the embedded profile) the worker reads due deliveries straight from their table
        # (automation/delivery.py, deliveries_send_due); a task engine elsewhere (RQ) is told after commit.
        def enqueue() -> None:
            ids = [d.pk for d in deliveries if d.pk is not None]
            if ids:
                transaction.on_commit(lambda: _deliveries_enqueue(ids))

        batch.after(enqueue)
    return notification


def notify_many(*, drafts: Sequence[NotificationDraft], now: datetime) -> list[Notification]:
    """Set-based `notify` for the sweep and bulk routing: drafts whose key already exists are skipped."""
    if not drafts:
        return []
    keys = [d.dedupe_key for d in drafts]
    existing = set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh: dict[str, NotificationDraft] = {}
    for draft in drafts:
        if draft.dedupe_key not in existing:
            fresh.setdefault(draft.dedupe_key, draft)
    created = Notification.objects.bulk_create([Notification(**_row(d, now)) for d in fresh.values()], batch_size=1000)
    if any(n.pk is None for n in created):  # a database without RETURNING: read the rows back for their ids
        created = list(Notification.objects.filter(dedupe_key__in=list(fresh)).select_related("recipient__team"))
    _deliveries_plan(created, now=now)
    return created


def _row(draft: NotificationDraft, now: datetime) -> dict[str, Any]:
    return {
        "recipient": draft.recipient, "kind": draft.kind, "title": draft.title[:200], "body": draft.body, "link": draft.link[:300],
        "subject_kind": draft.subject_kind, "subject_id": draft.subject_id, "created_at": now, "dedupe_key": draft.dedupe_key[:160],
    }


def personal_addresses(user: User) -> dict[str, dict[str, str]]:
    """Where a person can be reached outside the app, given their profile and which platforms are configured."""
    addresses: dict[str, dict[str, str]] = {}
    if user.email:
        addresses[Delivery.Channel.EMAIL] = {"to": user.email}
    if user.wecom_userid and getattr(settings, "XIAOGUAN_WECOM_CORP_ID", ""):
        addresses[Delivery.Channel.WECOM_NOTICE] = {"userid": user.wecom_userid}
    if user.dingtalk_userid and getattr(settings, "XIAOGUAN_DINGTALK_APP_KEY", ""):
        addresses[Delivery.Channel.DINGTALK_NOTICE] = {"userid": user.dingtalk_userid}
    return addresses


def _deliveries_for(notifications: Sequence[Notification], *, now: datetime) -> list[Delivery]:
    """The outside deliveries of these notifications: each recipient's chosen channels, and the group bots."""
    if not notifications:
        return []
    recipients = {n.recipient_id for n in notifications}
    kinds = {n.kind for n in notifications}
    if len(notifications) == 1:
        # One notification (a capture): the preferences and the bots from the per-process copy.
        all_chosen, all_bots = _delivery_setup_cached()
        chosen = {key: channels for key, channels in all_chosen.get(notifications[0].recipient_id, {}).items() if key[1] in kinds}
        bots = [b for b in all_bots if set(b.kinds) & kinds]
    else:
        chosen = {
            (p.user_id, p.kind): set(p.channels)
            for p in NotificationPreference.objects.filter(user_id__in=recipients, kind__in=kinds).only("user_id", "kind", "channels")
        }
        bots = [b for b in BotWebhook.objects.filter(enabled=True).select_related("team") if set(b.kinds) & kinds]
    deliveries: list[Delivery] = []
    for n in notifications:
        spec = NOTIFICATION_KINDS.get(n.kind)
        wanted = chosen.get((n.recipient_id, n.kind), set(spec.default_channels) if spec else set())
        for channel, address in personal_addresses(n.recipient).items():
            if channel in wanted:
                deliveries.append(Delivery(notification=n, channel=channel, address=address, created_at=now, next_attempt_at=now))
        team_path = n.recipient.team.path if n.recipient.team_id and n.recipient.team else ""
        for bot in bots:
            if n.kind in bot.kinds and (bot.team is None or team_path.startswith(bot.team.path)):
                deliveries.append(Delivery(notification=n, channel=bot.kind, address={"bot_id": bot.pk}, created_at=now, next_attempt_at=now))
    return deliveries


def _deliveries_plan(notifications: Sequence[Notification], *, now: datetime) -> None:
    deliveries = _deliveries_for(notifications, now=now)
    if not deliveries:
        return
    Delivery.objects.bulk_create(deliveries, batch_size=1000)
    ids = [d.pk for d in deliveries if d.pk is not None] or list(
        Delivery.objects.filter(notification__in=notifications).values_list("pk", flat=True)
    )
    if not _queue_in_this_database():
        transaction.on_commit(lambda: _deliveries_enqueue(ids))


def _queue_in_this_database() -> bool:
    backend = cast(dict[str, Any], settings.TASKS["default"])
    return bool(backend["BACKEND"] == "django_tasks_db.DatabaseBackend")


# Who wants which channel and which group bots exist change rarely and are read for every captured lead: a per-process
# copy for DELIVERY_SETUP_SECONDS, dropped at once by a change saved in this process.
DELIVERY_SETUP_SECONDS = 10.0
_delivery_setup = ProcessCache(
    "automation.delivery_setup", seconds=DELIVERY_SETUP_SECONDS, models=(NotificationPreference, BotWebhook, User, Team),
)


def _delivery_setup_cached() -> tuple[dict[int, dict[tuple[int, str], set[str]]], list[BotWebhook]]:
    def load() -> tuple[dict[int, dict[tuple[int, str], set[str]]], list[BotWebhook]]:
        chosen: dict[int, dict[tuple[int, str], set[str]]] = {}
        for p in NotificationPreference.objects.only("user_id", "kind", "channels"):
            chosen.setdefault(p.user_id, {})[(p.user_id, p.kind)] = set(p.channels)
        return chosen, list(BotWebhook.objects.filter(enabled=True).select_related("team"))

    return _delivery_setup.get("setup", load)


def _deliveries_enqueue(ids: list[int]) -> None:
    from xiaoguan.automation.tasks import deliveries_send_task

    deliveries_send_task.enqueue(delivery_ids=ids)


def notifications_mark_read(*, user: User, now: datetime, ids: Sequence[int] | None = None) -> int:
    """Mark the person's notifications read: the given ones, or all unread when `ids` is None."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now)
