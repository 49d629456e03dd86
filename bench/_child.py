"""Run a benchmark's measuring part in a child Python process whose Django settings point at the bench database.

The parent (`xiaoguan bench NAME`, configured for the user's database) never touches the bench database itself:

    figures = run_in_child(Path(__file__), {"leads": 1000}, url=url, stderr=stderr)   # in run()

    if __name__ == "__main__":
        child_main(measure)            # measure(**params, stderr=sys.stderr) -> dict, in the child

The child prints its figures as the last line of its stdout; its stderr (progress) goes straight to ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "bench"


def run_in_child(script: Path, params: dict[str, Any], *, url: str, stderr: TextIO) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "XIAOGUAN_DEBUG": "0",  # DEBUG records every query: not what production runs
        "PYTHONUNBUFFERED": "1",
    }
    stderr.flush()
    result = subprocess.run(
        [sys.executable, str(script), "--child", json.dumps(params)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark child {script.name} failed (exit {result.returncode}); its output:\n{result.stdout[-2000:]}")
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


def child_main(measure: Callable[..., dict[str, Any]]) -> None:
    """`python bench/NAME.py --child '{json params}'`: set Django up on $DATABASE_URL, measure, print the JSON."""
    if len(sys.argv) != 3 or sys.argv[1] != "--child":
        sys.exit(f"usage: {sys.argv[0]} --child JSON  (normally started by `xiaoguan bench`)")
    for path in (str(PROJECT_ROOT), str(BENCH_DIR)):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    params = json.loads(sys.argv[2])
    figures = measure(**params, stderr=sys.stderr)
    sys.stdout.write(json.dumps(figures, ensure_ascii=False, default=str) + "\n")


def run_on_fresh_database(script: Path, name: str, params: dict[str, Any], *, keep: bool, stderr: TextIO) -> dict[str, Any]:
    """What every benchmark's `run` does: a fresh bench database, the measuring child, the machine, then clean up."""
    from _common import bench_database_url, bench_drop_database, bench_reset_database, machine, peak_rss_mb

    url = bench_database_url(name)
    print(f"bench {name}: resetting the bench database ({url.split('@')[-1]})", file=stderr, flush=True)
    bench_reset_database(url, stderr=stderr)
    figures = run_in_child(script, params, url=url, stderr=stderr)
    figures["peak_rss_mb"] = round(peak_rss_mb(children=True), 1)
    figures["machine"] = machine()
    if keep:
        figures["kept_database"] = url.split("@")[-1]
    else:
        bench_drop_database(url, stderr=stderr)
    return figures
