"""Bad folders: every error is reported with file, line, column, value and reason, and nothing at all is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.interchange.conftest import TINY, write_folder
from tests.interchange.helpers import replace_in, row_counts
from xiaoguan.activities.models import Activity
from xiaoguan.customers.models import Account
from xiaoguan.interchange.importer import interchange_import
from xiaoguan.interchange.report import ImportReport
from xiaoguan.interchange.sources import folder_bundle
from xiaoguan.org.models import Team, User

pytestmark = pytest.mark.django_db


def _import(folder: Path) -> ImportReport:
    return interchange_import(bundle=folder_bundle(folder))


def _refused(folder: Path) -> ImportReport:
    """Import a folder that must be refused: errors, and the database exactly as before."""
    before = row_counts()
    report = _import(folder)
    assert report.errors, "expected the import to be refused"
    assert not report.written
    assert row_counts() == before
    return report


def test_a_byte_order_mark_is_read_as_utf8(tmp_path: Path):
    folder = write_folder(tmp_path / "bom", {name: "\ufeff" + text for name, text in TINY.items()})
    report = _import(folder)
    assert not report.errors
    assert User.objects.get(external_id="U-DIR").name == "曹鹏军"
    assert Team.objects.get(external_id="T-HQ").name == "销售中心"


def test_a_gbk_csv_as_excel_saves_it_is_detected_and_read(tmp_path: Path):
    files: dict[str, str | bytes] = dict(TINY)
    files["accounts.csv"] = TINY["accounts.csv"].encode("gbk")
    files["users.csv"] = TINY["users.csv"].encode("gb18030")
    report = _import(write_folder(tmp_path / "gbk", files))
    assert not report.errors, report.as_text()
    assert Account.objects.get(external_id="A1").name == "苏州瑞通医疗器械有限公司"
    assert User.objects.get(external_id="U-R1").name == "范志鹏"


def test_a_missing_required_column_refuses_the_folder(tiny: Path):
    replace_in(tiny / "accounts.csv", "account_id,name,kind", "account_id,kind")
    replace_in(tiny / "accounts.csv", "A1,苏州瑞通医疗器械有限公司,", "A1,")
    replace_in(tiny / "accounts.csv", "A2,杭州远航科技,", "A2,")
    report = _refused(tiny)
    (problem,) = report.errors
    assert (problem.file, problem.line, problem.column, problem.reason) == ("accounts.csv", 1, "name", "缺少必需的列")


def test_an_unknown_column_refuses_the_folder(tiny: Path):
    replace_in(tiny / "contacts.csv", "wechat\n", "wechat,nmae\n")
    replace_in(tiny / "contacts.csv", ",13800000001,,\n", ",13800000001,,,徐强\n")
    report = _refused(tiny)
    (problem,) = report.errors
    assert (problem.file, problem.line, problem.column, problem.value) == ("contacts.csv", 1, "nmae", "nmae")
    assert "未知的列" in problem.reason


def test_a_reference_to_a_missing_account_refuses_the_folder(tiny: Path):
    replace_in(tiny / "contacts.csv", "C1,A1,", "C1,A999,")
    report = _refused(tiny)
    (problem,) = report.errors
    assert (problem.file, problem.line, problem.column, problem.value) == ("contacts.csv", 2, "account_id", "A999")
    assert problem.reason == "引用的客户不存在（文件中和库中都没有）"


def test_an_id_repeated_in_a_file_refuses_the_folder(tiny: Path):
    replace_in(tiny / "accounts.csv", "A2,杭州远航科技", "A1,杭州远航科技")
    report = _refused(tiny)
    (problem,) = report.errors
    assert (problem.file, problem.line, problem.column, problem.value, problem.reason) == (
        "accounts.csv",
        3,
        "account_id",
        "A1",
        "编号重复",
    )


def test_an_unparseable_date_refuses_the_folder(tiny: Path):
    replace_in(tiny / "invoices.csv", "2025-07-01", "2025-13-45")
    report = _refused(tiny)
    (problem,) = report.errors
    assert (problem.file, problem.line, problem.column, problem.value) == ("invoices.csv", 2, "issued_on", "2025-13-45")
    assert "日期" in problem.reason


def test_an_empty_file_refuses_the_folder(tiny: Path):
    (tiny / "touch_events.csv").write_bytes(b"")
    report = _refused(tiny)
    (problem,) = report.errors
    assert (problem.file, problem.line) == ("touch_events.csv", 1)


def test_an_error_in_the_last_table_leaves_every_earlier_table_unwritten(tiny: Path):
    replace_in(tiny / "targets.csv", "1244000.0", "-1244000.0")
    report = _refused(tiny)
    assert [(p.file, p.line, p.column, p.reason) for p in report.errors] == [("targets.csv", 2, "amount", "不能为负数")]
    assert not Account.objects.exists() and not Activity.objects.exists()


@pytest.mark.parametrize(
    ("file", "old", "new", "column", "reason_part"),
    [
        ("accounts.csv", "enterprise,医疗", "vip,医疗", "kind", "可选值"),
        ("opportunities.csv", "solution_demo,open", "won_big,open", "stage", "没有这个阶段"),
        ("activities.csv", "3600,拜访", "一小时,拜访", "duration_seconds", "整数"),
        ("activities.csv", "2025-03-10T12:00:00+08:00", "yesterday", "recorded_at", "时间"),
        ("leads.csv", "923000.0", '"923,000"', "budget", "数字"),
        ("users.csv", "r1@example.cn,rep", "m1@example.cn,rep", "email", "重复"),
        ("activities.csv", "ACT2,U-R1,,,L1", "ACT2,U-R1,,,", "account_id", "至少"),
        ("activities.csv", "ACT2,U-R1,,,L1", "ACT2,U-R1,,O404,", "account_id", "无处挂靠"),
        ("teams.csv", "T-HQ,销售中心,,company", "T-HQ,销售中心,R-EAST,company", "parent_id", "循环"),
    ],
)
def test_each_kind_of_bad_value_refuses_the_folder(tiny: Path, file, old, new, column, reason_part):
    replace_in(tiny / file, old, new)
    report = _refused(tiny)
    assert any(p.file == file and p.column == column and reason_part in p.reason for p in report.errors), report.as_text()


def test_the_command_exits_1_and_writes_the_report_as_json(tiny: Path, tmp_path: Path):
    replace_in(tiny / "contacts.csv", "C1,A1,", "C1,A999,")
    report_path = tmp_path / "report.json"
    with pytest.raises(CommandError) as refused:
        call_command("import", str(tiny), report=str(report_path), verbosity=0)
    assert refused.value.returncode == 1
    data = json.loads(report_path.read_text(encoding="utf-8"))
    assert data["ok"] is False and data["written"] is False
    assert data["errors"] == [
        {
            "level": "error",
            "file": "contacts.csv",
            "line": 2,
            "column": "account_id",
            "value": "A999",
            "reason": "引用的客户不存在（文件中和库中都没有）",
        }
    ]
    assert not Account.objects.exists()


def test_a_folder_that_is_not_there_is_a_usage_error(tmp_path: Path):
    with pytest.raises(CommandError) as refused:
        call_command("import", str(tmp_path / "nowhere"), verbosity=0)
    assert refused.value.returncode == 2
