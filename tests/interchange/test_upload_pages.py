"""The import pages: an admin's bulk upload (ZIP or workbook) with report and confirmation; a rep's leads sheet."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import LeadFactory
from tests.interchange.conftest import TINY
from tests.interchange.helpers import row_counts
from xiaoguan.customers.models import Account
from xiaoguan.interchange.exporter import interchange_export
from xiaoguan.interchange.models import ImportRun
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.ADMIN, email="boss@example.cn")


def _zip(files: dict[str, str]) -> io.BytesIO:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"export/data/{name}", text)
        archive.writestr("export/truth/outcomes.csv", "opportunity_id\nO1\n")
    data.seek(0)
    data.name = "world.zip"
    return data


def _workbook(files: dict[str, str]) -> io.BytesIO:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, text in files.items():
        sheet = workbook.create_sheet(name.removesuffix(".csv"))
        for line in text.splitlines():
            sheet.append(line.split(","))
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    data.name = "world.xlsx"
    return data


def test_an_admin_uploads_a_zip_sees_the_report_and_confirms(login, admin):
    client = login(admin)
    response = client.post(reverse("web:import_home"), {"file": _zip(TINY)})
    run = ImportRun.objects.get(kind=ImportRun.Kind.ZIP)
    assert response.status_code == 302 and response["Location"] == reverse("web:import_detail", args=[run.token])
    assert run.status == ImportRun.Status.PENDING and not Account.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "确认导入" in page and "accounts" in page
    response = client.post(reverse("web:import_confirm", args=[run.token]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.created_by == admin
    assert Account.objects.count() == 2
    assert client.get(reverse("web:import_report", args=[run.token])).json()["ok"] is True


def test_an_xlsx_workbook_with_one_sheet_per_table_imports_the_same(login, admin):
    client = login(admin)
    client.post(reverse("web:import_home"), {"file": _workbook(TINY)})
    run = ImportRun.objects.get(kind=ImportRun.Kind.WORKBOOK)
    assert run.status == ImportRun.Status.PENDING, run.report
    client.post(reverse("web:import_confirm", args=[run.token]))
    assert Account.objects.get(external_id="A1").name == "苏州瑞通医疗器械有限公司"


def test_an_upload_with_errors_shows_them_and_writes_nothing(login, admin):
    files = dict(TINY)
    files["contacts.csv"] = files["contacts.csv"].replace("C1,A1,", "C1,A999,")
    before = row_counts()
    response = login(admin).post(reverse("web:import_home"), {"file": _zip(files)}, follow=True)
    page = response.content.decode()
    assert "A999" in page and "引用的客户不存在" in page and "确认导入" not in page
    assert ImportRun.objects.get().status == ImportRun.Status.REFUSED
    after = row_counts()
    assert after.pop("ImportRun") == before.pop("ImportRun") + 1
    assert after == before


def test_a_60_mb_upload_is_refused_with_a_pointer_to_the_command(login, admin):
    big = io.BytesIO(b"\0" * (60 * 1024 * 1024))
    big.name = "big.zip"
    before = row_counts()
    response = login(admin).post(reverse("web:import_home"), {"file": big})
    assert response.status_code == 413
    assert "50 MB" in response.content.decode() and "xiaoguan import" in response.content.decode()
    assert row_counts() == before


def test_people_other_than_admins_cannot_bulk_import(login):
    rep = UserFactory()
    assert login(rep).get(reverse("web:import_home")).status_code == 403
    assert login(rep).post(reverse("web:import_home"), {"file": _zip(TINY)}).status_code == 403
    assert not ImportRun.objects.exists()


def test_a_rep_imports_a_leads_sheet_through_mapping_and_preview(login):
    TeamFactory(name="华东大区", kind=Team.Kind.REGION)
    rep = UserFactory()
    client = login(rep)
    csv = (
        "姓名,单位,联系电话,预算,地区,说明\n张三,瑞通医疗,13800000001,10万,华东,展会名片\n李四,远航科技,13800000002,,,\n".encode(
            "gbk"
        )
    )
    upload = io.BytesIO(csv)
    upload.name = "名片.csv"
    response = client.post(reverse("web:leads_import"), {"file": upload})
    run = ImportRun.objects.get(kind=ImportRun.Kind.LEADS)
    assert response["Location"] == reverse("web:leads_import_map", args=[run.token])
    page = client.get(response["Location"]).content.decode()
    assert "可导入 2 行" in page and "瑞通医疗" in page
    # the person says the 说明 column is the company instead (HTMX redraws the preview)
    fields = {"col-0": "name", "col-1": "", "col-2": "phone", "col-3": "budget", "col-4": "region", "col-5": "company"}
    partial = client.post(
        reverse("web:leads_import_map", args=[run.token]), fields, headers={"HX-Request": "true"}
    ).content.decode()
    assert "展会名片" in partial and "<html" not in partial
    response = client.post(reverse("web:leads_import_confirm", args=[run.token]))
    assert response["Location"] == reverse("web:lead_list")
    leads = Lead.objects.filter(owner=rep).order_by("name")
    assert [(lead.name, lead.company) for lead in leads] == [("张三", "展会名片"), ("李四", "")]
    assert leads[0].region.name == "华东大区" and leads[0].budget == 100000


def test_someone_elses_leads_upload_is_not_found(login):
    owner, other = UserFactory(), UserFactory()
    upload = io.BytesIO("姓名\n张三\n".encode())
    upload.name = "a.csv"
    login(owner).post(reverse("web:leads_import"), {"file": upload})
    run = ImportRun.objects.get()
    assert login(other).get(reverse("web:leads_import_map", args=[run.token])).status_code == 404
    assert login(other).post(reverse("web:leads_import_confirm", args=[run.token])).status_code == 404


def test_a_formula_is_escaped_in_the_spreadsheet_export_and_exact_in_the_folder(login, tmp_path: Path):
    rep = UserFactory()
    LeadFactory(owner=rep, name='=HYPERLINK("http://evil.example","点我")', company="+86 公司")
    response = login(rep).get(reverse("web:export", args=["leads"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert '\'=HYPERLINK("http://evil.example","点我")' in cells and "'+86 公司" in cells
    interchange_export(folder=tmp_path / "out")
    exported = (tmp_path / "out" / "leads.csv").read_text(encoding="utf-8")
    assert '"=HYPERLINK(""http://evil.example"",""点我"")"' in exported and ",+86 公司," in exported
