"""Page URLs of the insights area (included by xiaoguan/web/urls.py): record authenticity, three-layer verification."""

from django.urls import path

from xiaoguan.web.views import insights

urlpatterns: list = [
    path("insights/authenticity/", insights.authenticity, name="insights_authenticity"),
    path("insights/verification/", insights.verification, name="insights_verification"),
]
