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
