"""Notification kinds of keyword evidence."""

from django.utils.translation import gettext_lazy

from xiaoguan.automation.registry import notification_kind

COMPETITOR_PRICE = notification_kind(
    "competitor_price", label=gettext_lazy("报价阶段出现竞品与价格"), default_channels=("wecom_notice", "dingtalk_notice")
)
