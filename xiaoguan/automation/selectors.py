"""Reads of the runtime's state: a person's notifications (only ever their own)."""

from __future__ import annotations

from django.db.models import QuerySet

from xiaoguan.automation.models import Notification
from xiaoguan.org.models import User


def notification_list_for(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    """Polled by every open page every few seconds: served by the partial index of unread rows."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
