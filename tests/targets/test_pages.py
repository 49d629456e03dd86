"""The target-fit page and its PDF: what each person sees, adjusting from the page, accepting, and the PDF with or
without a CJK font on the machine."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from xiaoguan.core.models import HistoryEntry
from xiaoguan.insights import calibration
from xiaoguan.targets.models import Target, TargetFitReport, TargetProposal
from xiaoguan.targets.report_pdf import _font_find, cjk_font_find

pytestmark = pytest.mark.django_db
URL = "/insights/targets/"


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _font_cache_clear():  # type: ignore[no-untyped-def]
    _font_find.cache_clear()
    yield
    _font_find.cache_clear()


@pytest.fixture
def needs_cjk_font():  # type: ignore[no-untyped-def]
    if cjk_font_find() is None:
        pytest.skip("no CJK font on this machine (scripts/browser_deps.sh installs fonts-noto-cjk)")


def test_manager_sees_the_reps_of_the_region_with_probabilities_and_bands(fit, clock):
    clock.set("2025-10-02 10:00")
    page = client_for(fit.manager).get(URL).content.decode()

    assert "目标适配度报告" in page and "目标周期 2025-Q4" in page
    assert "李娜" in page and "张伟" in page and "赵磊" not in page  # another region's rep
    assert "华东大区" in page and "星河科技" not in page  # the company total counts people she may not see
    assert re.search(r'fit-cell band amber"[^>]*><span class="name">李娜</span><span class="tnum">55%', page)  # P(imposed) 0.55
    assert "绿：大概率完成" in page and "≥ 70%" in page  # the thresholds are stated
    assert "建议目标 = 月均有效触达 × 周期月数 × 触达→赢单转化率 × 健康客单价" in page
    assert 'id="fit-chart"' in page  # the region bar chart's data
    assert "下载 PDF" in page or "没有找到可用的中文字体" in page


def test_director_sees_everyone_and_the_company_total(fit, clock):
    clock.set("2025-10-02 10:00")
    page = client_for(fit.director).get(URL + "?measure=proposed").content.decode()
    assert all(name in page for name in ("李娜", "张伟", "赵磊", "星河科技", "华西大区"))
    assert "完成概率热力图：建议目标" in page


def test_reps_may_not_open_the_report(fit):
    assert client_for(fit.li).get(URL).status_code == 403


def test_without_a_report_the_page_explains_and_builds_one(fit, clock, monkeypatch):
    TargetFitReport.objects.all().delete()
    clock.set("2025-10-02 10:00")
    manager = client_for(fit.manager)
    page = manager.get(URL).content.decode()
    assert "还没有目标适配度报告" in page and "现在生成本月报告" in page

    monkeypatch.setattr(calibration, "forecast_simulator", lambda as_of, until: None)
    response = manager.post(reverse("web:target_fit_build"))
    assert response.status_code == 302 and TargetFitReport.objects.filter(month="2025-10").exists()
    assert "预测模型尚未就绪" in manager.get(URL).content.decode()


def test_adjusting_from_the_page_out_of_range_shows_the_error_and_writes_nothing(fit, clock):
    clock.set("2025-10-02 10:00")
    proposal = fit.proposals[fit.li.pk]
    url = reverse("web:target_proposal_adjust", args=[proposal.pk])
    manager = client_for(fit.manager)

    refused = manager.post(url, {"amount": "1300000", "reason": "客户多"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "±15%" in refused.content.decode() and 'class="fit-error-row"' in refused.content.decode()
    no_reason = manager.post(url, {"amount": "1100000", "reason": ""}, HTTP_HX_REQUEST="true")
    assert no_reason.status_code == 422 and "请填写调整理由" in no_reason.content.decode()
    assert TargetProposal.objects.get(pk=proposal.pk).amount == Decimal("1000000.00") and not HistoryEntry.objects.exists()

    done = manager.post(url, {"amount": "1,100,000", "reason": "新接手两家三甲医院"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and "¥110.0万" in done.content.decode()
    assert TargetProposal.objects.get(pk=proposal.pk).amount == Decimal("1100000.00")
    # the adjustment's probability is read off the kept distribution: 46 of the 101 quantiles (0, 20k … 2M) are ≥ 1.1M
    page = manager.get(URL + "?measure=amount").content.decode()
    assert "新接手两家三甲医院" in page and re.search(r'<span class="name">李娜</span><span class="tnum">46%', page)


def test_another_regions_manager_cannot_adjust_through_the_url(fit):
    url = reverse("web:target_proposal_adjust", args=[fit.proposals[fit.li.pk].pk])
    assert client_for(fit.west_manager).post(url, {"amount": "1000000", "reason": "x"}).status_code == 404


def test_accepting_from_the_page_writes_the_scope_targets(fit, clock):
    clock.set("2025-10-02 10:00")
    response = client_for(fit.manager).post(reverse("web:target_fit_accept"), {"month": "2025-10"})
    assert response.status_code == 302
    assert Target.objects.get(user=fit.zhang, period="2025-Q4").amount == Decimal("600000.00")
    assert Target.objects.get(user=fit.zhao, period="2025-Q4").amount == Decimal("800000.00")  # not hers


def test_the_pdf_is_a_real_pdf_in_chinese(fit, clock, needs_cjk_font):
    clock.set("2025-10-02 10:00")
    response = client_for(fit.manager).get(reverse("web:target_fit_pdf") + "?month=2025-10")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) >= 1
    assert re.search(rb"/FontFile[23]? \d+ 0 R", pdf) and re.search(rb"/BaseFont /[A-Z]{6}\+\S*CJK", pdf)  # embedded, subset
    # the title's characters are in the embedded font's Unicode map (what text extraction reads)
    assert all(f"<{ord(ch):04X}>".encode() in pdf for ch in "目标适配度报告李娜")
    assert f"<{ord('赵'):04X}>".encode() not in pdf  # the other region's rep is not in her PDF
    assert 5_000 < len(pdf) < 2_000_000  # a subset, not the font's 20 MB


def test_without_a_cjk_font_there_is_the_page_and_a_warning(fit, clock, settings):
    settings.XIAOGUAN_PDF_FONT = "none"
    clock.set("2025-10-02 10:00")
    manager = client_for(fit.manager)
    page = manager.get(URL).content.decode()
    assert "本机没有找到可用的中文字体" in page and "下载 PDF" not in page
    assert "李娜" in page  # the report itself is all there
    response = manager.get(reverse("web:target_fit_pdf") + "?month=2025-10")
    assert response.status_code == 302 and response["Location"].startswith(URL)


def test_a_named_font_that_is_not_cjk_or_missing_is_not_used(settings, tmp_path):
    settings.XIAOGUAN_PDF_FONT = str(tmp_path / "missing.ttf")
    assert cjk_font_find() is None
    latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    settings.XIAOGUAN_PDF_FONT = latin
    assert cjk_font_find() is None  # it has no Chinese characters


def test_the_machines_noto_cjk_is_found_with_its_simplified_chinese_face(settings, needs_cjk_font):
    font = cjk_font_find()
    assert font is not None and ("SC" in font.family or not font.path.endswith(".ttc"))


def test_the_page_reads_in_english_too(fit, clock):
    clock.set("2025-10-02 10:00")
    client = client_for(fit.manager)
    client.cookies["django_language"] = "en"
    page = client.get(URL).content.decode()
    assert "Target-fit report" in page and "Proposed target" in page and "How the proposal is computed" in page
    assert "green: likely reached" in page and "建议目标怎么算" not in page
