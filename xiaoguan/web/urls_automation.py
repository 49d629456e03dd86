"""Page URLs of the automation area (included by xiaoguan/web/urls.py)."""

from django.urls import path

urlpatterns: list = []

# Notification settings (通知设置): group bots and the delivery log for admins, channel preferences for everyone.
from xiaoguan.web.views import notify_settings  # noqa: E402

urlpatterns += [
    path("notify/preferences/", notify_settings.notify_preferences, name="notify_preferences"),
    path("notify/bots/", notify_settings.bot_list, name="notify_bots"),
    path("notify/bots/new/", notify_settings.bot_edit, name="notify_bot_new"),
    path("notify/bots/<int:pk>/edit/", notify_settings.bot_edit, name="notify_bot_edit"),
    path("notify/bots/<int:pk>/toggle/", notify_settings.bot_toggle, name="notify_bot_toggle"),
    path("notify/bots/<int:pk>/test/", notify_settings.bot_test, name="notify_bot_test"),
    path("notify/deliveries/", notify_settings.delivery_log, name="notify_deliveries"),
    path("notify/deliveries/<int:pk>/retry/", notify_settings.delivery_retry_view, name="notify_delivery_retry"),
]
