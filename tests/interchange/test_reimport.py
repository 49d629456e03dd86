"""Importing again: the same folder changes nothing, a newer export updates in place, references reach the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.interchange.conftest import TINY, write_folder
from tests.interchange.helpers import captured_writes, replace_in, row_counts
from xiaoguan.activities.models import Activity
from xiaoguan.customers.models import Account, Contact
from xiaoguan.interchange.compare import interchange_compare
from xiaoguan.interchange.exporter import interchange_export
from xiaoguan.interchange.importer import interchange_import
from xiaoguan.interchange.models import ImportRun
from xiaoguan.interchange.sources import folder_bundle
from xiaoguan.opportunities.models import DEFAULT_STAGES, Opportunity, Pipeline
from xiaoguan.org.models import Team, User

pytestmark = pytest.mark.django_db


def _import(folder: Path):  # type: ignore[no-untyped-def]
    report = interchange_import(bundle=folder_bundle(folder))
    assert not report.errors, report.as_text()
    return report


def test_the_same_folder_twice_writes_nothing_the_second_time(tiny: Path):
    _import(tiny)
    before = row_counts()
    with captured_writes() as writes:
        report = _import(tiny)
    assert writes == []
    assert row_counts() == before
    assert all(counts.created == counts.updated == 0 for counts in report.tables.values())


def test_a_newer_export_updates_the_changed_rows_in_place(tiny: Path):
    _import(tiny)
    account = Account.objects.get(external_id="A1")
    stamp = Account.objects.get(external_id="A2").updated_at
    replace_in(
        tiny / "accounts.csv",
        "苏州瑞通医疗器械有限公司,enterprise,医疗,R-EAST,苏州,200-999,U-R1",
        "瑞通医疗（苏州）,enterprise,医疗,R-EAST,苏州,1000+,U-M1",
    )
    replace_in(tiny / "users.csv", "U-R1,范志鹏,r1@example.cn,rep,R-EAST,U-M1", "U-R1,范志鹏,r1@example.cn,rep,R-EAST,U-DIR")
    report = _import(tiny)
    assert (report.tables["accounts"].updated, report.tables["accounts"].unchanged) == (1, 1)
    assert report.tables["users"].updated == 1
    updated = Account.objects.get(external_id="A1")
    assert updated.pk == account.pk
    assert (updated.name, updated.size, updated.owner.external_id) == ("瑞通医疗（苏州）", "1000+", "U-M1")
    assert User.objects.get(external_id="U-R1").manager.external_id == "U-DIR"
    assert Account.objects.get(external_id="A2").updated_at == stamp
    assert ImportRun.objects.count() == 2


def test_rows_absent_from_a_later_folder_are_kept(tiny: Path, tmp_path: Path):
    _import(tiny)
    smaller = write_folder(
        tmp_path / "smaller", {"accounts.csv": TINY["accounts.csv"].splitlines(keepends=True)[0] + "A3,新客户,,,,,,,,,,\n"}
    )
    _import(smaller)
    assert set(Account.objects.values_list("external_id", flat=True)) == {"A1", "A2", "A3"}


def test_references_may_point_at_records_already_in_the_database(tiny: Path, tmp_path: Path):
    _import(write_folder(tmp_path / "people", {name: TINY[name] for name in ("teams.csv", "users.csv", "accounts.csv")}))
    later = write_folder(tmp_path / "later", {"contacts.csv": TINY["contacts.csv"]})
    _import(later)
    assert Contact.objects.get(external_id="C1").account.external_id == "A1"


def test_without_pipelines_csv_every_pipeline_key_used_gets_the_default_stages(tiny: Path):
    (tiny / "pipelines.csv").unlink()
    replace_in(tiny / "opportunities.csv", ",standard,", ",project,")
    _import(tiny)
    pipeline = Pipeline.objects.get(external_id="project")
    assert list(pipeline.stages.values_list("key", "name", "is_won")) == [tuple(stage) for stage in DEFAULT_STAGES]
    assert Opportunity.objects.get(external_id="O1").stage.key == "solution_demo"


def test_a_pipelines_csv_reorders_and_renames_stages_in_place(tiny: Path):
    _import(tiny)
    replace_in(
        tiny / "pipelines.csv", "standard,标准流程,solution_demo,方案演示,3,", "standard,标准流程,solution_demo,方案演示与试用,4,"
    )
    replace_in(
        tiny / "pipelines.csv",
        "standard,标准流程,quote_negotiation,报价谈判,4,",
        "standard,标准流程,quote_negotiation,报价谈判,3,",
    )
    _import(tiny)
    stages = Pipeline.objects.get(external_id="standard").stages.order_by("position")
    assert list(stages.values_list("key", flat=True))[2:4] == ["quote_negotiation", "solution_demo"]
    assert stages.get(key="solution_demo").name == "方案演示与试用"


def test_an_import_runs_no_routing_and_leaves_business_times_as_written(tiny: Path):
    _import(tiny)
    activity = Activity.objects.get(external_id="ACT1")
    assert activity.recorded_at.isoformat() == "2025-03-10T04:00:00+00:00"
    assert Team.objects.get(external_id="R-EAST").path.count("/") == 3


def test_the_tiny_folder_round_trips(tiny: Path, tmp_path: Path):
    _import(tiny)
    interchange_export(folder=tmp_path / "out")
    assert interchange_compare(left=tiny, right=tmp_path / "out") == []


def test_export_refuses_a_folder_that_is_not_empty(tmp_path: Path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError) as refused:
        call_command("export", str(tmp_path), verbosity=0)
    assert refused.value.returncode == 2
    assert [p.name for p in tmp_path.iterdir()] == ["old.txt"]


def test_export_writes_every_table_with_its_header_even_when_empty(tmp_path: Path):
    call_command("export", str(tmp_path / "out"), verbosity=0)
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(files) == 12
    assert (tmp_path / "out" / "invoices.csv").read_text(
        encoding="utf-8"
    ) == "invoice_id,account_id,opportunity_id,amount,issued_on,due_on,paid_on\n"


def test_a_truth_folder_and_files_outside_the_spec_are_ignored(tiny: Path, tmp_path: Path):
    world = tmp_path / "world"
    world.mkdir()
    tiny.rename(world / "data")
    write_folder(
        world / "truth", {"fake_activities.csv": "activity_id,owner_id,recorded_on\nACT1,U-R1,2025-03-10\n", "summary.json": "{}"}
    )
    write_folder(world / "data", {"README.txt": "notes", "deals_old.csv": "x,y\n1,2\n"})
    call_command("import", str(world), verbosity=0)  # the world's root: its data/ folder is read, truth/ never
    assert Activity.objects.count() == 2
    report = interchange_import(bundle=folder_bundle(world / "data"))
    assert set(report.ignored) == {"README.txt", "deals_old.csv"} and not report.errors
