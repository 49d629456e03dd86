"""`xiaoguan import --jobs 2`: checking in a second process while writing gives the same result, and on bad
input the same nothing. Runs the real command on its own SQLite file (the test database lives in a transaction
that a second process could not see)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interchange.conftest import TINY, write_folder
from tests.interchange.helpers import replace_in
from xiaoguan.interchange.compare import interchange_compare

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parents[2]


def _xiaoguan(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [sys.executable, "-m", "xiaoguan.cli", *args], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300
    )


def _count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed table names


def test_two_processes_refuse_bad_input_and_write_good_input_exactly(tmp_path: Path):
    database = tmp_path / "db.sqlite3"
    assert _xiaoguan(database, "migrate", "--verbosity", "0").returncode == 0
    folder = write_folder(tmp_path / "tiny", dict(TINY))
    replace_in(folder / "activities.csv", ",call,", ",callx,")
    refused = _xiaoguan(database, "import", str(folder), "--jobs", "2", "--verbosity", "0")
    assert refused.returncode == 1, refused.stderr
    assert "callx" in refused.stderr
    assert _count(database, "customers_account") == 0 and _count(database, "org_user") == 0

    replace_in(folder / "activities.csv", ",callx,", ",call,")
    done = _xiaoguan(database, "import", str(folder), "--jobs", "2", "--verbosity", "0")
    assert done.returncode == 0, done.stderr
    again = _xiaoguan(database, "import", str(folder), "--jobs", "2", "--report", str(tmp_path / "again.json"))
    assert again.returncode == 0 and "没有变化" in again.stderr
    assert _xiaoguan(database, "export", str(tmp_path / "out")).returncode == 0
    assert interchange_compare(left=folder, right=tmp_path / "out") == []


@pytest.mark.django_db(transaction=True)
def test_two_processes_on_the_test_database_itself(tiny: Path, monkeypatch):
    # PostgreSQL only: there the writer's dropped indexes lock tables until commit, so the checker must have read
    # everything before the writer starts (SQLite's test database is in memory, invisible to a second process).
    from django.db import connection

    from xiaoguan.customers.models import Account
    from xiaoguan.interchange.importer import interchange_import, parallel_possible
    from xiaoguan.interchange.sources import folder_bundle

    if connection.vendor != "postgresql":
        pytest.skip("needs a database a second process can see")
    monkeypatch.setattr("xiaoguan.interchange.importer.BULK_LOAD_BYTES", 0)  # every empty table: indexes dropped
    bundle = folder_bundle(tiny)
    assert parallel_possible(bundle)
    replace_in(tiny / "targets.csv", "1244000.0", "-1")
    assert interchange_import(bundle=folder_bundle(tiny), parallel=True).errors
    assert not Account.objects.exists()
    replace_in(tiny / "targets.csv", "-1", "1244000.0")
    report = interchange_import(bundle=folder_bundle(tiny), parallel=True)
    assert report.ok and report.written and Account.objects.count() == 2


@pytest.mark.django_db
def test_the_checker_reads_nothing_from_the_database_once_ready(tiny: Path):
    # The writer starts when the checker says it is ready and may then lock tables (dropped indexes) until commit.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xiaoguan.interchange.importer import _check_all, interchange_import
    from xiaoguan.interchange.sources import folder_bundle

    interchange_import(bundle=folder_bundle(tiny))  # references now also resolve against stored rows
    marks: list[int] = []
    with CaptureQueriesContext(connection) as queries:
        report = _check_all(
            bundle=folder_bundle(tiny), shift_days=0, progress_stream=None, on_ready=lambda: marks.append(len(queries))
        )
    assert report.ok and marks
    assert len(queries) == marks[0], [q["sql"][:80] for q in queries.captured_queries[marks[0] :]]
