"""The folder comparison means values, not spellings."""

from __future__ import annotations

from pathlib import Path

from tests.interchange.conftest import TINY, write_folder
from xiaoguan.interchange.compare import interchange_compare


def _pair(tmp_path: Path, changes: dict[str, tuple[str, str]]) -> tuple[Path, Path]:
    left = write_folder(tmp_path / "left", dict(TINY))
    files = dict(TINY)
    for name, (old, new) in changes.items():
        assert old in files[name]
        files[name] = files[name].replace(old, new, 1)
    return left, write_folder(tmp_path / "right", files)


def test_numbers_compare_as_decimals_and_times_as_instants(tmp_path: Path):
    left, right = _pair(
        tmp_path,
        {
            "opportunities.csv": ("300000.0,CNY,2025-03-05T09:00:00+08:00", "300000.00,,2025-03-05T01:00:00+00:00"),
            "pipelines.csv": ("lead_confirmed,线索确认,1,", "lead_confirmed,线索确认,1,false"),
        },
    )
    assert interchange_compare(left=left, right=right) == []


def test_a_changed_text_a_missing_row_and_a_valued_column_are_differences(tmp_path: Path):
    left, right = _pair(
        tmp_path,
        {
            "contacts.csv": ("徐强", "徐 强"),
            "accounts.csv": ("A2,杭州远航科技,enterprise,制造业,R-EAST,杭州,50-199,U-R1,2025-03-04T10:00:00+08:00,,,\n", ""),
        },
    )
    found = {(d.table, d.kind, d.column) for d in interchange_compare(left=left, right=right)}
    assert found == {("contacts", "value", "name"), ("accounts", "only_left", "")}


def test_a_column_missing_on_one_side_counts_as_empty(tmp_path: Path):
    left, right = _pair(tmp_path, {})
    text = TINY["invoices.csv"].replace(",paid_on", "").replace("2025-08-30,\n", "2025-08-30\n")
    (right / "invoices.csv").write_text(text, encoding="utf-8")
    assert interchange_compare(left=left, right=right) == []
