"""The deal page shows what the stage needs, refuses a move with the list, lets a manager override or approve, takes
evidence files (and refuses bad ones with a message), serves them only to who may see the deal; settings pages."""

from __future__ import annotations

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories.evidence import give_evidence, give_fields
from tests.factories.sales import AccountFactory, ActivityFactory, OpportunityFactory, stage
from xiaoguan.documents.models import Document
from xiaoguan.evidence.models import ActivityEvidence, KeywordDictionary
from xiaoguan.opportunities.models import DEFAULT_STAGES, Opportunity, Pipeline, Stage, StageHistory, StageMoveRequest

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def deal(org):  # type: ignore[no-untyped-def]
    return OpportunityFactory(account=AccountFactory(owner=org.rep, name="恒瑞精密"), owner=org.rep, stage=stage("needs_diagnosed"), name="恒瑞检测项目")


def test_the_deal_page_lists_what_leaving_the_stage_needs(org, login, deal):  # type: ignore[no-untyped-def]
    html = login(org.rep).get(f"/deals/{deal.external_id}/").content.decode()
    assert "离开“需求诊断”前需要" in html and "上传需求调研表" in html and "缺少" in html
    assert "还没有资料" in html and 'enctype="multipart/form-data"' in html


def test_a_move_without_evidence_is_refused_on_the_page_with_the_list(org, login, deal):  # type: ignore[no-untyped-def]
    response = login(org.rep).post(f"/deals/{deal.external_id}/move/", {"stage": "solution_demo"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "不能推进阶段，还缺少" in html and "需求诊断：上传需求调研表" in html and "需求诊断：填写卡点问题" in html
    deal.refresh_from_db()
    assert deal.stage.key == "needs_diagnosed"


def test_the_board_shows_the_refusal_too(org, login, deal):  # type: ignore[no-untyped-def]
    response = login(org.rep).post(f"/deals/{deal.external_id}/move/", {"stage": "solution_demo"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board")
    assert response.status_code == 422 and "上传需求调研表" in response.content.decode()


def test_the_manager_overrides_from_the_page_with_a_reason(org, login, deal):  # type: ignore[no-untyped-def]
    client = login(org.manager)
    assert "越过证据要求的理由" in client.get(f"/deals/{deal.external_id}/").content.decode()
    response = client.post(f"/deals/{deal.external_id}/move/", {"stage": "solution_demo", "override_reason": "客户已口头确认，调研表补交"})
    assert response.status_code == 302
    entry = StageHistory.objects.get(opportunity=deal, stage__key="solution_demo")
    assert entry.override_reason == "客户已口头确认，调研表补交"
    assert "客户已口头确认，调研表补交" in client.get(f"/deals/{deal.external_id}/").content.decode()


def test_a_rep_move_that_needs_approval_becomes_a_request_the_manager_approves(org, login):  # type: ignore[no-untyped-def]
    pipeline = Pipeline.objects.create(external_id="long_cycle", name="长周期流程")
    Stage.objects.bulk_create(Stage(pipeline=pipeline, key=k, name=n, position=i, is_won=w) for i, (k, n, w) in enumerate(DEFAULT_STAGES, start=1))
    opp = give_evidence(OpportunityFactory(account=AccountFactory(owner=org.rep), owner=org.rep, pipeline=pipeline))
    Opportunity.objects.filter(pk=opp.pk).update(stage=pipeline.stages.get(key="quote_negotiation"))
    response = login(org.rep).post(f"/deals/{opp.external_id}/move/", {"stage": "contract_signed"})
    assert response.status_code == 302
    assert StageMoveRequest.objects.get(opportunity=opp).status == "pending"
    manager = login(org.manager)
    assert "等待经理审批" in manager.get(f"/deals/{opp.external_id}/").content.decode()
    assert manager.post(f"/deals/{opp.external_id}/stage-request/", {"decision": "reject"}).status_code == 422  # no note
    assert manager.post(f"/deals/{opp.external_id}/stage-request/", {"decision": "approve"}).status_code == 302
    opp.refresh_from_db()
    assert opp.status == "won"


def test_upload_from_the_deal_page_counts_as_evidence(org, login, deal):  # type: ignore[no-untyped-def]
    give_fields(deal)
    client = login(org.rep)
    response = client.post(f"/deals/{deal.external_id}/documents/", {"kind": "requirements_survey", "file": SimpleUploadedFile("调研表.pdf", PDF, "image/png")})
    assert response.status_code == 302
    doc = Document.objects.get(opportunity=deal)
    assert doc.content_type == "application/pdf"
    assert client.post(f"/deals/{deal.external_id}/move/", {"stage": "solution_demo"}).status_code == 302


@pytest.mark.parametrize(("name", "data", "message"), [
    ("report.pdf.exe", PDF, "可执行"),
    ("payload.pdf", b"MZ\x90\x00binary", "不支持的文件类型"),
    ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", None),
])
def test_bad_uploads_are_refused_with_a_message_never_a_500(org, login, deal, name, data, message):  # type: ignore[no-untyped-def]
    client = login(org.rep)
    response = client.post(f"/deals/{deal.external_id}/documents/", {"kind": "other", "file": SimpleUploadedFile(name, data)}, follow=True)
    assert response.status_code == 200
    if message:
        assert message in response.content.decode() and not Document.objects.exists()
    else:  # plain text is allowed, under a name with no path in it
        doc = Document.objects.get()
        assert doc.original_name == "passwd.txt" and "etc" not in doc.file.name


def test_an_oversized_upload_is_refused(org, login, deal, settings):  # type: ignore[no-untyped-def]
    settings.XIAOGUAN_DOCUMENT_MAX_BYTES = 100
    response = login(org.rep).post(f"/deals/{deal.external_id}/documents/", {"kind": "quote", "file": SimpleUploadedFile("q.pdf", PDF * 20)}, follow=True)
    assert "上限" in response.content.decode() and not Document.objects.exists()


def test_documents_download_only_for_who_sees_the_deal_as_an_attachment(org, login, deal):  # type: ignore[no-untyped-def]
    login(org.rep).post(f"/deals/{deal.external_id}/documents/", {"kind": "quote", "file": SimpleUploadedFile("报价单.pdf", PDF)})
    doc = Document.objects.get()
    response = login(org.manager).get(f"/documents/{doc.external_id}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert login(org.rep2).get(f"/documents/{doc.external_id}/download/").status_code == 404
    assert login(org.west_rep).get("/documents/xg-D-999999/download/").status_code == 404


def test_html_in_activity_content_is_escaped_and_evidence_tags_shown(org, login, deal):  # type: ignore[no-untyped-def]
    activity = ActivityFactory(owner=org.rep, account=deal.account, opportunity=deal, content='<script>alert("x")</script>三方比价<img src=x onerror=1>')
    ActivityEvidence.objects.create(
        activity=activity, opportunity=deal, code="price_comparison", stage_key="quote_negotiation", scanned_at=activity.recorded_at,
        matches=[{"word": "三方比价", "text": "<b>三方比价</b>", "field": "content", "start": 29, "end": 33}],
    )
    html = login(org.rep).get(f"/deals/{deal.external_id}/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;b&gt;三方比价&lt;/b&gt;@29–33" in html


def test_settings_pages_are_for_admins_and_directors_and_save_versioned(org, login):  # type: ignore[no-untyped-def]
    assert login(org.rep).get("/settings/stage-gates/").status_code == 403
    assert login(org.manager).get("/settings/keywords/").status_code == 403
    admin = login(org.admin)
    page = admin.get("/settings/stage-gates/").content.decode()
    assert "需求诊断" in page and "上传需求调研表" in page and "默认" in page
    survey = stage("needs_diagnosed")
    response = admin.post("/settings/stage-gates/", {"stage": survey.pk, "actions": ["doc:minutes"], "fields": ["core_need"]})
    assert response.status_code == 302
    assert (survey.gate.required_actions, survey.gate.required_fields, survey.gate.version) == (["doc:minutes"], ["core_need"], 1)
    assert admin.post("/settings/stage-gates/", {"stage": "abc"}).status_code == 404
    page = admin.get("/settings/keywords/").content.decode()
    assert "三方比价" in page and "竞品名单" in page
    response = admin.post("/settings/keywords/", {"code": "sample", "words": "样品\n样机，<b>试用装</b>", "enabled": "on"})
    assert response.status_code == 302
    sample = KeywordDictionary.objects.get(code="sample")
    assert sample.words == ["样品", "样机", "<b>试用装</b>"] and sample.version == 2
    assert "&lt;b&gt;试用装&lt;/b&gt;" in admin.get("/settings/keywords/").content.decode()
    exported = admin.get("/settings/stage-gates.yaml")
    assert exported["Content-Type"].startswith("application/yaml")
    document = yaml.safe_load(exported.content.decode())
    standard = next(p for p in document["pipelines"] if p["key"] == "standard")
    survey_gate = next(s for s in standard["stages"] if s["key"] == "needs_diagnosed")
    assert survey_gate["version"] == 1 and survey_gate["required_actions"] == [{"code": "doc:minutes", "label": "上传会议纪要"}]
    assert next(d for d in document["keyword_dictionaries"] if d["code"] == "sample")["words"][-1] == "<b>试用装</b>"
    assert login(org.rep).get("/settings/stage-gates.yaml").status_code == 403


def test_the_api_refuses_with_the_missing_list_and_takes_a_managers_override(org, deal):  # type: ignore[no-untyped-def]
    from django.test import Client

    rep, manager = Client(), Client()
    rep.force_login(org.rep)
    manager.force_login(org.manager)
    url = f"/api/opportunities/{deal.external_id}/move-stage"
    refused = rep.post(url, {"stage": "solution_demo"}, content_type="application/json")
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "stage_evidence_missing"
    assert [e["message"] for e in body["errors"]][-1] == "需求诊断：上传需求调研表" and {e["field"] for e in body["errors"]} == {"stage"}
    moved = manager.post(url, {"stage": "solution_demo", "override_reason": "客户已口头确认"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["stage"] == "solution_demo"
    assert StageHistory.objects.get(opportunity=deal, stage__key="solution_demo").override_reason == "客户已口头确认"


def test_the_deal_page_and_the_refusal_read_in_english(org, login, deal):  # type: ignore[no-untyped-def]
    client = login(org.rep)
    page = client.get(f"/deals/{deal.external_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Before leaving" in page and "Upload a Requirements survey" in page and "Evidence files" in page
    refused = client.post(f"/deals/{deal.external_id}/move/", {"stage": "solution_demo"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The stage cannot move on; still missing:" in refused and "Fill in Core need" in refused


def test_the_api_sets_core_need_and_blocker_the_gates_ask_for(org, deal):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(org.rep)
    response = client.patch(f"/api/opportunities/{deal.external_id}", {"core_need": "检测效率", "blocker": "预算待批"}, content_type="application/json")
    assert response.status_code == 200 and (response.json()["core_need"], response.json()["blocker"]) == ("检测效率", "预算待批")
    deal.refresh_from_db()
    assert (deal.core_need, deal.blocker) == ("检测效率", "预算待批")


def test_a_gate_is_tried_against_the_open_deals_before_it_is_saved(org, login, deal):  # type: ignore[no-untyped-def]
    admin = login(org.admin)
    # the default gate of 需求诊断: the one open deal there lacks the survey and the fields
    page = admin.get("/settings/stage-gates/").content.decode()
    assert "当前在此阶段的进行中商机 1 个，按这些条件 0 个可以推进。" in page and "上传需求调研表 1" in page
    # a dry run of a gate that asks only for the core need, which the deal has: shown, not saved
    deal.core_need = "检测效率"
    deal.save()
    survey = stage("needs_diagnosed")
    response = admin.post("/settings/stage-gates/", {"stage": survey.pk, "fields": ["core_need"], "dry_run": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "试运行（未保存）" in html and "当前在此阶段的进行中商机 1 个，按这些条件 1 个可以推进。" in html
    assert not hasattr(Stage.objects.get(pk=survey.pk), "gate")
