"""Page URLs of the insights area (included by xiaoguan/web/urls.py): record authenticity, three-layer verification,
the monthly target-fit report."""

from django.urls import path

from xiaoguan.web.views import insights, targets

urlpatterns: list = [
    path("insights/authenticity/", insights.authenticity, name="insights_authenticity"),
    path("insights/verification/", insights.verification, name="insights_verification"),
    path("insights/targets/", targets.target_fit, name="target_fit"),
    path("insights/targets/report.pdf", targets.target_fit_pdf_view, name="target_fit_pdf"),
    path("insights/targets/build/", targets.target_fit_build, name="target_fit_build"),
    path("insights/targets/accept/", targets.target_fit_accept, name="target_fit_accept"),
    path("insights/targets/proposals/<int:pk>/adjust/", targets.target_proposal_adjust_view, name="target_proposal_adjust"),
]
