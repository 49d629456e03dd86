"""Page URLs of tracked links and engagement (included by xiaoguan/web/urls.py). `/t/…` is also answered before Django
by the WSGI fast path (xiaoguan/tracking/wsgi.py) with the same answers."""

from django.urls import path, re_path

from xiaoguan.web.views import tracking

urlpatterns: list = [
    re_path(r"^t/(?P<token>[0-9A-Za-z_-]{23,40})(?P<suffix>\.gif|/download/?|/?)$", tracking.tracked_hit, name="tracked_hit"),
    path("deals/<str:external_id>/tracking/", tracking.deal_panel, name="tracking_deal_panel"),
    path("deals/<str:external_id>/tracking/new/", tracking.link_new, name="tracking_link_new"),
    path("tracking/links/<str:link_id>/revoke/", tracking.link_revoke, name="tracking_link_revoke"),
    path("customers/<str:external_id>/engagement/", tracking.account_panel, name="engagement_account_panel"),
    path("settings/engagement/", tracking.engagement_settings, name="engagement_settings"),
]
