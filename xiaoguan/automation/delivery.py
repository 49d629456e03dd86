"""Deliveries: send one notification on one outside channel, retry with backoff, keep every row (the delivery log).

A delivery is claimed before it is sent (status `sending` with a lease in `next_attempt_at`), so the task that sends
right after commit and the sweep never both send it; a worker that dies mid-send leaves a lease that runs out, and the
next sweep tries again. A send is therefore at least once, never lost: a retryable failure waits 30 s, 2 min, 10 min,
1 h, 6 h, and after the sixth attempt the row is `failed` (kept, and an admin can retry it from the log).

Also here: the admin's writes for this area — group-bot webhooks, per-person channel preferences, a manual retry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from xiaoguan.automation.channels import BOT_CHANNELS, DeliveryFailed, Message, deliver
from xiaoguan.automation.channels.mail import email_session
from xiaoguan.automation.models import BotWebhook, Delivery, Notification, NotificationPreference
from xiaoguan.core.bulk import rows_update
from xiaoguan.org.models import Team, User

log = logging.getLogger(__name__)

# The wait after the 1st, 2nd, … failed attempt; one more failure after the last step and the delivery is `failed`.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# How long a claimed delivery belongs to its sender. Longer than any send (HTTP timeouts are 5 s, SMTP 10 s).
SENDING_LEASE = timedelta(minutes=5)
ERROR_CHARS = 2000
RESPONSE_CHARS = 2000

ACTIVE = (Delivery.Status.PENDING, Delivery.Status.SENDING)
PERSONAL_CHANNELS = (Delivery.Channel.EMAIL, Delivery.Channel.WECOM_NOTICE, Delivery.Channel.DINGTALK_NOTICE)


def deliveries_due(*, now: datetime, limit: int) -> QuerySet[Delivery]:
    """Deliveries to attempt now, oldest first: pending ones whose time has come, and claimed ones whose sender's lease
    ran out (it crashed). Read through the partial index on `next_attempt_at` (NULL once sent or failed)."""
    return (
        Delivery.objects.filter(next_attempt_at__lte=now, status__in=ACTIVE)
        .select_related("notification")
        .order_by("next_attempt_at", "pk")[:limit]
    )


def delivery_backoff(*, attempts: int) -> timedelta | None:
    """The wait after `attempts` failed attempts, or None when it is time to give up."""
    return BACKOFF[attempts - 1] if 1 <= attempts <= len(BACKOFF) else None


def _claim(delivery: Delivery, *, now: datetime) -> bool:
    # One conditional UPDATE: of two senders racing for the row, exactly one changes it.
    claimed = Delivery.objects.filter(pk=delivery.pk, status__in=ACTIVE, next_attempt_at__lte=now).update(
        status=Delivery.Status.SENDING, next_attempt_at=now + SENDING_LEASE, attempts=F("attempts") + 1
    )
    if claimed:
        delivery.refresh_from_db(fields=["status", "next_attempt_at", "attempts", "address", "channel"])
    return bool(claimed)


def absolute_link(link: str) -> str:
    """A notification's link as the outside world needs it: site paths get the configured base URL."""
    if link.startswith(("http://", "https://")):
        return link
    if link.startswith("/"):
        return settings.XIAOGUAN_BASE_URL.rstrip("/") + link
    return ""


def delivery_message(notification: Notification) -> Message:
    return Message(title=notification.title, body=notification.body, link=absolute_link(notification.link))


def delivery_address(delivery: Delivery) -> dict[str, Any]:
    """The address the channel sends to. Bot deliveries name their webhook (`bot_id`); its URL and secret are read at
    send time, so a secret never sits in the log and a corrected URL applies to pending retries."""
    address = dict(delivery.address or {})
    if delivery.channel not in BOT_CHANNELS:
        return address
    bot_id = address.get("bot_id") or address.get("webhook_id")
    if bot_id is None:
        return address  # an explicit {"url", "secret"}
    bot = BotWebhook.objects.filter(pk=bot_id).first()
    if bot is None:
        raise DeliveryFailed(_("群机器人已删除"), retryable=False)
    if not bot.enabled:
        raise DeliveryFailed(_("群机器人已停用"), retryable=False)
    return {"url": bot.url, "secret": bot.secret}


def delivery_attempt(*, delivery: Delivery, now: datetime) -> None:
    """Claim the delivery, send it, record what happened: sent, waiting for a retry, or failed for good.

    Call it outside a transaction: the send may take seconds and must not hold locks.
    """
    if not _claim(delivery, now=now):
        return  # another sender has it, or it is finished
    _send(delivery, now=now)
    delivery.save(update_fields=list(OUTCOME_FIELDS))


# What a send attempt changes on its row.
OUTCOME_FIELDS = ("status", "sent_at", "next_attempt_at", "response", "last_error")


def _send(delivery: Delivery, *, now: datetime) -> None:
    """Send a claimed delivery and set its outcome in memory (OUTCOME_FIELDS); the caller writes it."""
    try:
        # The words around the message ("查看详情", the mail's footer) in the organisation's language, whatever the
        # worker thread last served.
        with translation.override(settings.LANGUAGE_CODE):
            response = deliver(channel=delivery.channel, address=delivery_address(delivery), message=delivery_message(delivery.notification), now=now)
    except DeliveryFailed as failure:
        _failed(delivery, detail=failure.detail, retryable=failure.retryable, now=now)
    except Exception as error:  # a bug in one channel must not lose the delivery or stop the sweep (logged below)
        log.exception("delivery %s on %s raised", delivery.pk, delivery.channel)
        _failed(delivery, detail=f"{type(error).__name__}: {error}", retryable=True, now=now)
    else:
        delivery.status, delivery.sent_at, delivery.next_attempt_at = Delivery.Status.SENT, now, None
        delivery.response, delivery.last_error = response[:RESPONSE_CHARS], ""


def _failed(delivery: Delivery, *, detail: str, retryable: bool, now: datetime) -> None:
    wait = delivery_backoff(attempts=delivery.attempts) if retryable else None
    if wait is None:
        delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
    else:
        delivery.status, delivery.next_attempt_at = Delivery.Status.PENDING, now + wait
    delivery.last_error = detail[:ERROR_CHARS]


def deliveries_send_due(*, now: datetime, limit: int) -> int:
    """Claim up to `limit` due deliveries in one statement, send them, record the outcomes in one more. Returns how
    many were attempted.

    The embedded profile's worker calls this every half second: the Delivery table is its queue, so a captured lead
    adds no task row, and the worker's bookkeeping takes the database's write lock twice per batch instead of four
    times per message (measured with SQLite at 200 captures/s: the per-message writes held the lock ~3 ms of every
    lead's ~10).
    """
    table = Delivery._meta.db_table
    active = ", ".join(f"'{status}'" for status in ACTIVE)
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    due_field = Delivery._meta.get_field("next_attempt_at")
    stamp, lease = (due_field.get_db_prep_save(t, connection) for t in (now, now + SENDING_LEASE))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, next_attempt_at = %s, attempts = attempts + 1"  # noqa: S608 — the model's table
            f" WHERE id IN (SELECT id FROM {table} WHERE next_attempt_at <= %s AND status IN ({active})"
            f" ORDER BY next_attempt_at, id LIMIT %s{skip_locked})"
            f" AND next_attempt_at <= %s AND status IN ({active}) RETURNING id",
            [Delivery.Status.SENDING, lease, stamp, limit, stamp],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return 0
    batch = list(Delivery.objects.filter(pk__in=ids).select_related("notification").order_by("pk"))
    with email_session():
        for delivery in batch:
            _send(delivery, now=now)
    with transaction.atomic():
        rows_update(objs=batch, fields=OUTCOME_FIELDS)
    return len(batch)


def delivery_send_now(*, delivery_ids: Sequence[int], now: datetime) -> int:
    """Attempt the given deliveries at once (the task run right after the notifying transaction commits).
    Returns how many were sent; the rest wait for their retry in the sweep."""
    sent = 0
    for delivery in Delivery.objects.filter(pk__in=list(delivery_ids), status=Delivery.Status.PENDING).select_related("notification").order_by("pk"):
        delivery_attempt(delivery=delivery, now=now)
        sent += delivery.status == Delivery.Status.SENT
    return sent


def delivery_retry(*, delivery: Delivery, now: datetime) -> Delivery:
    """An admin's "try again" on a failed delivery: one more attempt now. The attempt count goes on, so a retryable
    failure backs off again only while the schedule has steps left. Sent and pending deliveries are left alone."""
    updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(status=Delivery.Status.PENDING, next_attempt_at=now)
    delivery.refresh_from_db()
    if updated:
        transaction.on_commit(lambda: _enqueue([delivery.pk]))
    return delivery


def _enqueue(ids: list[int]) -> None:
    from xiaoguan.automation.tasks import deliveries_send_task

    deliveries_send_task.enqueue(delivery_ids=ids)


# --- The admin's group-bot webhooks -------------------------------------------------------------------------------


def bot_webhook_save(
    *, bot: BotWebhook | None, name: str, kind: str, url: str, secret: str, team: Team | None, kinds: Iterable[str], enabled: bool
) -> BotWebhook:
    """Create or change a group-bot webhook. An empty `secret` on an existing bot keeps the stored one (the form never
    shows it back)."""
    bot = bot or BotWebhook()
    bot.name, bot.kind, bot.url, bot.team, bot.enabled = name.strip(), kind, url.strip(), team, enabled
    bot.kinds = sorted(set(kinds))
    if secret.strip() or bot.pk is None:
        bot.secret = secret.strip()
    bot.full_clean()
    bot.save()
    return bot


def bot_webhook_enable(*, bot: BotWebhook, enabled: bool) -> BotWebhook:
    bot.enabled = enabled
    bot.save(update_fields=["enabled"])
    return bot


def bot_webhook_test(*, bot: BotWebhook, by: User, now: datetime) -> str:
    """Send a test message to the bot's group now; the platform's answer, or DeliveryFailed with its reason."""
    message = Message(
        title=_("销管测试消息"),
        body=_("这是 %(name)s 从销管发出的测试消息，收到即表示群机器人「%(bot)s」配置正确。") % {"name": by.name or by.email, "bot": bot.name},
        link=absolute_link("/"),
    )
    return deliver(channel=bot.kind, address={"url": bot.url, "secret": bot.secret}, message=message, now=now)


# --- A person's channel choices -----------------------------------------------------------------------------------


def notification_preferences_set(*, user: User, choices: Mapping[str, Sequence[str]]) -> None:
    """Which outside channels `user` wants per notification kind (the bell always has everything). A kind left out keeps
    its stored choice; an empty list means in-app only."""
    allowed = set(PERSONAL_CHANNELS)
    with transaction.atomic():
        for kind, channels in choices.items():
            NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"channels": sorted(set(channels) & allowed)})


def deliveries_log(*, status: str = "", channel: str = "") -> QuerySet[Delivery]:
    """The delivery log, newest first, for the admin's page; filtered by status and channel when given."""
    rows = Delivery.objects.select_related("notification", "notification__recipient").order_by("-created_at", "-pk")
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    return rows


def bot_webhooks_list() -> QuerySet[BotWebhook]:
    return BotWebhook.objects.select_related("team").order_by("-enabled", "name", "pk")
