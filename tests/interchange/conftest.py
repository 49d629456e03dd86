"""Sample worlds and small hand-written folders for the interchange tests.

Importing a whole sample world takes a few seconds, so a module imports it once (`world_small`) inside a
transaction that is rolled back when the module ends; each test still runs in its own savepoint.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection, transaction

from xiaoguan.interchange.demo import WORLD
from xiaoguan.interchange.importer import interchange_import
from xiaoguan.interchange.report import ImportReport
from xiaoguan.interchange.sources import folder_bundle

SAMPLES = Path("/work/shared/samples")


@dataclass
class ImportedWorld:
    folder: Path
    report: ImportReport
    schema_before: dict[str, set[str]]


BULK_TABLES = ("activities_activity", "leads_lead", "engagement_touchevent")


def schema_of(tables: tuple[str, ...] = BULK_TABLES) -> dict[str, set[str]]:
    """Each table's indexes and constraints (name and columns), as the database reports them."""
    with connection.cursor() as cursor:
        return {
            table: {
                f"{name}:{','.join(c['columns'] or [])}:{c['foreign_key']}"
                for name, c in connection.introspection.get_constraints(cursor, table).items()
            }
            for table in tables
        }


def world_small_folder(base: Path) -> Path:
    """The world-small data folder, from the copy bundled with the package (the demo's)."""
    with zipfile.ZipFile(WORLD) as archive:
        archive.extractall(base)
    return base / "data"


def world_b_folder() -> Path:
    folder = SAMPLES / "world-b" / "data"
    if not folder.is_dir():
        pytest.skip(f"sample world-b not found at {folder}")
    return folder


def _imported(folder: Path, django_db_blocker) -> Iterator[ImportedWorld]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        before = schema_of()
        report = interchange_import(bundle=folder_bundle(folder))
        assert not report.errors, report.as_text()[:2000]
        yield ImportedWorld(folder=folder, report=report, schema_before=before)
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def world_small(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[ImportedWorld]:  # type: ignore[no-untyped-def]
    yield from _imported(world_small_folder(tmp_path_factory.mktemp("world-small")), django_db_blocker)


@pytest.fixture(scope="module")
def world_b(django_db_setup, django_db_blocker) -> Iterator[ImportedWorld]:  # type: ignore[no-untyped-def]
    yield from _imported(world_b_folder(), django_db_blocker)


# A tiny organisation in the interchange format: every table, a few rows, all valid.
TINY: dict[str, str] = {
    "pipelines.csv": """pipeline,name,stage,stage_name,position,won
standard,标准流程,lead_confirmed,线索确认,1,
standard,标准流程,needs_diagnosed,需求诊断,2,
standard,标准流程,solution_demo,方案演示,3,
standard,标准流程,quote_negotiation,报价谈判,4,
standard,标准流程,contract_signed,合同签署,5,true
standard,标准流程,delivered_paid,交付回款,6,
""",
    "teams.csv": """team_id,name,parent_id,kind
T-HQ,销售中心,,company
R-EAST,华东大区,T-HQ,region
""",
    "users.csv": """user_id,name,email,role,team_id,manager_id,hired_on,active
U-DIR,曹鹏军,director@example.cn,director,T-HQ,,2019-03-01,true
U-M1,唐丽,m1@example.cn,manager,R-EAST,U-DIR,2020-06-01,true
U-R1,范志鹏,r1@example.cn,rep,R-EAST,U-M1,2020-05-01,true
""",
    "accounts.csv": """account_id,name,kind,industry,region,city,size,owner_id,created_at,credit_limit,payment_terms_days,grade
A1,苏州瑞通医疗器械有限公司,enterprise,医疗,R-EAST,苏州,200-999,U-R1,2025-03-03T09:00:00+08:00,200000,60,A
A2,杭州远航科技,enterprise,制造业,R-EAST,杭州,50-199,U-R1,2025-03-04T10:00:00+08:00,,,
""",
    "contacts.csv": """contact_id,account_id,name,title,role_in_decision,phone,email,wechat
C1,A1,徐强,设备科科长,decision_maker,13800000001,,
""",
    "opportunities.csv": """opportunity_id,account_id,owner_id,pipeline,product_line,name,amount,currency,created_at,expected_close,stage,status,\
closed_at,lost_reason,competitor
O1,A1,U-R1,standard,检测设备,瑞通-检测设备,300000.0,CNY,2025-03-05T09:00:00+08:00,2025-06-30,solution_demo,open,,,
""",
    "leads.csv": """lead_id,created_at,source,name,company,phone,email,industry,region,city,company_size,budget,status,owner_id,\
assigned_at,first_contact_at,converted_account_id,converted_opportunity_id
L1,2025-03-01T17:01:32+08:00,event,徐晨峰,瑞通,18001318050,,医疗,R-EAST,苏州,200-999,923000.0,converted,U-R1,\
2025-03-01T17:28:05+08:00,2025-03-01T17:33:54+08:00,A1,O1
""",
    "stage_history.csv": """opportunity_id,stage,entered_at,changed_by
O1,lead_confirmed,2025-03-05T09:00:00+08:00,U-R1
O1,solution_demo,2025-03-20T09:00:00+08:00,U-R1
""",
    "activities.csv": """activity_id,owner_id,account_id,opportunity_id,lead_id,kind,occurred_at,recorded_at,duration_seconds,content,lat,lng
ACT1,U-R1,A1,O1,,visit,2025-03-10T10:00:00+08:00,2025-03-10T12:00:00+08:00,3600,拜访设备科，了解采购计划,31.29834,120.58319
ACT2,U-R1,,,L1,call,2025-03-01T17:30:00+08:00,2025-03-01T17:40:00+08:00,300,首次电话联系,,
""",
    "touch_events.csv": """event_id,tracked_item_id,document,account_id,contact_id,opportunity_id,kind,occurred_at
E1,TI1,方案书,A1,C1,O1,sent,2025-03-12T12:57:51+08:00
""",
    "invoices.csv": """invoice_id,account_id,opportunity_id,amount,issued_on,due_on,paid_on
INV1,A1,O1,150000.0,2025-07-01,2025-08-30,
""",
    "targets.csv": """period,scope_kind,scope_id,product_line,amount
2025-Q4,user,U-R1,,1244000.0
2025-Q4,team,R-EAST,检测设备,5000000.0
""",
}


def write_folder(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "tiny", dict(TINY))
