"""`xiaoguan bench import`: load a big interchange folder (≥ 1M activities, ≥ 200k leads) and time it.

The folder is the world-small sample copied N times with every id prefixed per copy (`A000001` → `W07-A000001`), so
the rows keep the sample's shapes, texts and reference patterns. It is written once under var/bench/ and reused.

Figures: rows, wall seconds and rows/s of the first import into an empty database, the same for a re-import of the
unchanged folder (which must write nothing), and the import process's peak RSS. Targets: ≥ 25,000 rows/s, < 1 GB.

    xiaoguan bench import                 # ×30: ~1.0M activities, ~316k leads, ~2.2M rows
    xiaoguan bench import --size small    # ×2, a quick check (< 1 minute)
    XIAOGUAN_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/xiaoguan_bench xiaoguan bench import
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from _common import BENCH_VAR, PROJECT_ROOT, bench_database_url, bench_reset_database, machine

SAMPLE = Path(os.environ.get("XIAOGUAN_BENCH_SAMPLE", "/work/shared/samples/world-small/data"))
TARGET_ROWS_PER_S = 25_000
TARGET_RSS_MB = 1024
SIZES = {"small": 2, "full": 30}

# Columns holding ids of this world (suffixed per copy). Pipeline and stage keys are shared by every copy.
ID_COLUMNS = {
    "teams.csv": ("team_id", "parent_id"),
    "users.csv": ("user_id", "team_id", "manager_id", "email"),
    "accounts.csv": ("account_id", "region", "owner_id"),
    "contacts.csv": ("contact_id", "account_id"),
    "opportunities.csv": ("opportunity_id", "account_id", "owner_id"),
    "leads.csv": ("lead_id", "region", "owner_id", "converted_account_id", "converted_opportunity_id"),
    "stage_history.csv": ("opportunity_id", "changed_by"),
    "activities.csv": ("activity_id", "owner_id", "account_id", "opportunity_id", "lead_id"),
    "touch_events.csv": ("event_id", "tracked_item_id", "account_id", "contact_id", "opportunity_id"),
    "invoices.csv": ("invoice_id", "account_id", "opportunity_id"),
    "targets.csv": ("scope_id",),
}


def _suffixed(value: str, column: str, copy: int) -> str:
    """The id in copy N. A prefix keeps each copy's ids together in sort order, as one real export's are (a suffix
    would interleave 30 copies and make every index insert a random one, which no single source produces)."""
    if not value:
        return value
    if column == "email":
        local, _, domain = value.partition("@")
        return f"{local}+{copy:02d}@{domain}"
    return f"W{copy:02d}-{value}"


def folder_build(*, factor: int, stderr: TextIO) -> Path:
    """The scaled folder, built once (a `.complete` marker says it was written to the end)."""
    folder = BENCH_VAR / f"import-w{factor}"
    if (folder / ".complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for source in sorted(SAMPLE.glob("*.csv")):
        with source.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            rows = list(reader)
        columns = ID_COLUMNS.get(source.name, ())
        positions = [(header.index(c), c) for c in columns if c in header]
        with (folder / source.name).open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            copies = range(1) if source.name == "pipelines.csv" else range(factor)
            for copy in copies:
                for row in rows:
                    row = list(row)
                    for index, column in positions:
                        row[index] = _suffixed(row[index], column, copy)
                    writer.writerow(row)
    (folder / ".complete").write_text("ok\n")
    stderr.write(f"bench import: wrote {folder} in {time.monotonic() - started:.0f} s\n")
    return folder


def _rows(folder: Path) -> dict[str, int]:
    counts = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open("rb") as fh:
            counts[path.stem] = sum(1 for _ in fh) - 1
    return counts


def _timed_import(folder: Path, *, url: str, report: Path, stderr: TextIO) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS MB, exit code) of one `xiaoguan import` in its own process."""
    env = {**os.environ, "DATABASE_URL": url}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "xiaoguan.cli", "import", str(folder), "--report", str(report), "--verbosity", "1"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    tail: list[str] = []
    for line in process.stderr:
        # The per-problem lines of the sample's warnings are many; the progress and the summary are what matter here.
        if "行/秒" in line or line.startswith("导入报告"):
            stderr.write(line)
        tail = [*tail[-40:], line]
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        stderr.write("".join(tail))
    return time.monotonic() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    factor = SIZES.get(size or "full") or int(size or 30)
    folder = folder_build(factor=factor, stderr=stderr)
    rows = _rows(folder)
    total = sum(rows.values())
    url = bench_database_url("import")
    bench_reset_database(url, stderr=stderr)
    report_path = BENCH_VAR / "import-report.json"

    report_path.unlink(missing_ok=True)
    load_before = os.getloadavg()[0]
    wall, cpu, rss, code = _timed_import(folder, url=url, report=report_path, stderr=stderr)
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    written = sum(t.get("created", 0) + t.get("updated", 0) for t in report.get("tables", {}).values())
    report_path.unlink(missing_ok=True)
    again_wall, again_cpu, again_rss, again_code = _timed_import(folder, url=url, report=report_path, stderr=stderr)
    again = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    again_written = sum(t.get("created", 0) + t.get("updated", 0) for t in again.get("tables", {}).values())

    if not keep and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
    rate = total / wall if wall else 0.0
    return {
        "bench": "import",
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "factor": factor,
        "rows": total,
        "activities": rows.get("activities", 0),
        "leads": rows.get("leads", 0),
        "exit_code": code,
        "rows_written": written,
        "wall_s": round(wall, 1),
        "rows_per_s": round(rate),
        "cpu_s": round(cpu, 1),
        "rows_per_cpu_s": round(total / cpu) if cpu else 0,
        "peak_rss_mb": round(rss),
        "reimport_exit_code": again_code,
        "reimport_rows_written": again_written,
        "reimport_wall_s": round(again_wall, 1),
        "reimport_rows_per_s": round(total / again_wall) if again_wall else 0,
        "reimport_cpu_s": round(again_cpu, 1),
        "reimport_peak_rss_mb": round(again_rss),
        "load_average_before": round(load_before, 2),
        "target_rows_per_s": TARGET_ROWS_PER_S,
        "target_rss_mb": TARGET_RSS_MB,
        "met": code == 0 and rate >= TARGET_ROWS_PER_S and max(rss, again_rss) < TARGET_RSS_MB and again_written == 0,
        **machine(),
    }
