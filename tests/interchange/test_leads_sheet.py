"""A rep's own leads spreadsheet: Chinese headers recognised, GBK and BOM read, every row checked before import."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from tests.factories.org import TeamFactory, UserFactory
from xiaoguan.core.models import HistoryEntry
from xiaoguan.interchange.leads_sheet import SheetError, leads_import, leads_preview, mapping_guess, sheet_read
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import Team

HEADER = ["姓名", "公司名称", "手机号码", "行业", "城市", "预算", "电话", "邮箱", "来源", "地区", "备注"]
ROWS = [
    [
        "张三",
        "苏州瑞通医疗器械有限公司",
        "138 0000 0001",
        "医疗",
        "苏州",
        "10万",
        "0512-6666",
        "zs@example.cn",
        "展会",
        "华东",
        "老客户介绍",
    ],
    ["", "", "13800000002", "", "", "", "", "", "", "", "只有电话"],
    ["李四", "", "13800000001", "", "", "", "", "not-an-email", "", "", ""],
    ["王五", "杭州远航", "+86 139-0000-0003", "制造业", "杭州", "￥5000", "", "", "朋友圈", "火星", ""],
]


def _csv(encoding: str, *, bom: bool = False) -> bytes:
    text = "\n".join(",".join(row) for row in [HEADER, *ROWS]) + "\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def test_common_chinese_headers_are_recognised():
    mapping = mapping_guess(header=HEADER)
    assert mapping == {
        0: "name", 1: "company", 2: "phone", 3: "industry", 4: "city", 5: "budget", 7: "email", 8: "source", 9: "region",
    }  # fmt: skip
    assert mapping_guess(header=["客户名称", "联系人", "联系电话(必填)", "E-mail"]) == {
        0: "company",
        1: "name",
        2: "phone",
        3: "email",
    }


@pytest.mark.parametrize(("encoding", "bom"), [("gbk", False), ("gb18030", False), ("utf-8", True), ("utf-8", False)])
def test_csv_in_gbk_or_with_a_bom_is_read(encoding, bom):
    sheet = sheet_read(stream=io.BytesIO(_csv(encoding, bom=bom)), filename="线索.csv")
    assert sheet.header == HEADER
    assert sheet.rows[0][1] == "苏州瑞通医疗器械有限公司"
    assert sheet.lines == [2, 3, 4, 5]


def test_an_xlsx_sheet_is_read_with_numbers_as_text():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "手机", "预算"])
    sheet.append(["张三", 13800000001, 200000])
    data = io.BytesIO()
    workbook.save(data)
    read = sheet_read(stream=io.BytesIO(data.getvalue()), filename="leads.xlsx")
    assert read.rows == [["张三", "13800000001", "200000"]]


def test_other_files_and_empty_sheets_are_refused():
    with pytest.raises(SheetError):
        sheet_read(stream=io.BytesIO(b"x"), filename="leads.pdf")
    with pytest.raises(SheetError):
        sheet_read(stream=io.BytesIO(b"\n\n"), filename="leads.csv")


@pytest.mark.django_db
def test_the_preview_shows_each_row_as_the_lead_it_would_become():
    TeamFactory(name="华东大区", kind=Team.Kind.REGION)
    rep = UserFactory()
    sheet = sheet_read(stream=io.BytesIO(_csv("gbk")), filename="线索.csv")
    preview = leads_preview(sheet=sheet, mapping=mapping_guess(header=sheet.header), user=rep)
    first, nameless, duplicate, odd = preview.rows
    assert first.ok and first.values["phone"] == "13800000001" and first.values["budget"] == Decimal("100000.00")
    assert first.values["source"] == Lead.Source.EVENT and first.values["region"].name == "华东大区"
    assert nameless.problems == ["姓名和公司至少填写一项"]
    assert "与第 2 行手机号重复" in duplicate.problems and any("邮箱" in p for p in duplicate.problems)
    assert odd.ok and odd.values["phone"] == "13900000003" and odd.values["budget"] == Decimal("5000.00")
    assert odd.values["source"] == Lead.Source.IMPORT and "region" not in odd.values and len(odd.notes) == 2


@pytest.mark.django_db
@pytest.mark.django_db
def test_a_phone_must_be_digits():
    rep = UserFactory()
    sheet = sheet_read(stream=io.BytesIO("姓名,手机\n张三,abc\n李四,0512-6666 8888\n".encode()), filename="a.csv")
    bad, good = leads_preview(sheet=sheet, mapping=mapping_guess(header=sheet.header), user=rep).rows
    assert bad.problems == ["电话号码格式不对：abc"] and good.ok and good.values["phone"] == "051266668888"


@pytest.mark.django_db
def test_importing_creates_the_reps_own_leads_and_leaves_out_the_bad_rows(clock):
    now = clock.set("2025-11-03 10:00")
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION)
    rep = UserFactory(team=east)
    UserFactory()  # someone else, whose leads are not touched
    sheet = sheet_read(stream=io.BytesIO(_csv("utf-8")), filename="线索.csv")
    result = leads_import(sheet=sheet, mapping=mapping_guess(header=sheet.header), user=rep, now=now)
    assert (result.created, result.refused) == (2, 2)
    leads = Lead.objects.order_by("pk")
    assert [lead.name for lead in leads] == ["张三", "王五"]
    assert all(lead.owner == rep and lead.status == Lead.Status.ASSIGNED and lead.created_at == now for lead in leads)
    assert all(lead.external_id == f"xg-L-{lead.pk:06d}" for lead in leads)
    assert leads[1].region == east  # no region in the sheet: the rep's own
    assert HistoryEntry.objects.filter(action=HistoryEntry.Action.IMPORTED).count() == 2
    # importing the same sheet again finds the phones already among the rep's leads
    again = leads_import(sheet=sheet, mapping=mapping_guess(header=sheet.header), user=rep, now=now)
    assert again.created == 0
