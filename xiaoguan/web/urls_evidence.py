"""Page URLs of evidence-gated stages and keyword evidence (included by xiaoguan/web/urls.py)."""

from django.urls import path

from xiaoguan.web.views import documents, opportunities

urlpatterns: list = [
    path("deals/<str:external_id>/documents/", documents.document_upload, name="document_upload"),
    path("deals/<str:external_id>/stage-request/", opportunities.opportunity_stage_decide, name="opportunity_stage_decide"),
    path("documents/<str:external_id>/download/", documents.document_download, name="document_download"),
    path("settings/stage-gates/", opportunities.stage_gate_settings, name="stage_gate_settings"),
    path("settings/stage-gates.yaml", opportunities.stage_gate_export, name="stage_gate_export"),
    path("settings/keywords/", opportunities.keyword_settings, name="keyword_settings"),
]
