"""Page URLs of the capture area (included by xiaoguan/web/urls.py)."""

from django.urls import path

from xiaoguan.web.views import capture

urlpatterns: list = [
    # Public: the web form and its embed script, the platforms' callbacks. No login, no CSRF (signed instead).
    path("f/<str:token>/", capture.form_public, name="capture_form_public"),
    path("f/<str:token>/embed.js", capture.form_embed, name="capture_form_embed"),
    path("f/<str:token>/thanks/", capture.form_thanks, name="capture_form_thanks"),
    path("hooks/wecom/<str:key>/", capture.hook_wecom, name="capture_hook_wecom"),
    path("hooks/dingtalk/<str:key>/", capture.hook_dingtalk, name="capture_hook_dingtalk"),
    # Admin: forms, callback channels, call logs.
    path("capture/", capture.capture_home, name="capture_home"),
    path("capture/forms/new/", capture.web_form_edit, name="capture_form_new"),
    path("capture/forms/<int:pk>/", capture.web_form_edit, name="capture_form_edit"),
    path("capture/forms/<int:pk>/rotate/", capture.web_form_rotate, name="capture_form_rotate"),
    path("capture/channels/new/", capture.channel_edit, name="capture_channel_new"),
    path("capture/channels/<int:pk>/", capture.channel_edit, name="capture_channel_edit"),
    path("capture/calls/", capture.call_logs_upload, name="capture_calls"),
]
