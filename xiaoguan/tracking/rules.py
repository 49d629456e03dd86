"""Notification kinds of tracked links."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from xiaoguan.automation.registry import notification_kind

notification_kind("meeting_booked", label=gettext_lazy("客户预约会议"), default_channels=("wecom_notice", "dingtalk_notice"))
