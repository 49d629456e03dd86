"""Helpers shared by benchmarks: a throwaway database, timing, percentiles, peak memory."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import TextIO

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = PROJECT_ROOT / "var" / "bench"


def bench_database_url(name: str) -> str:
    """`XIAOGUAN_BENCH_DATABASE_URL` when given (e.g. a scratch PostgreSQL), else a fresh SQLite file under var/bench/.

    Never the user's `DATABASE_URL`: a benchmark drops and refills its database.
    """
    given = os.environ.get("XIAOGUAN_BENCH_DATABASE_URL")
    if given:
        return given
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{BENCH_VAR / f'{name}.sqlite3'}"


def bench_drop_database(url: str, *, stderr: TextIO) -> None:
    """Leave nothing behind: the SQLite file (and its WAL) removed, or the PostgreSQL schema emptied."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        _postgres_database_ensure(url, stderr=stderr)
        bench_subprocess(["flush_schema"], url=url, stderr=stderr)


def _postgres_database_ensure(url: str, *, stderr: TextIO) -> None:
    """Create the scratch database named in the URL when the server has none of that name (a new machine)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    try:
        psycopg.connect(url, connect_timeout=10).close()
        return
    except psycopg.OperationalError as exc:
        if name not in str(exc):
            raise
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"bench: created the PostgreSQL database {name}", file=stderr, flush=True)


def bench_reset_database(url: str, *, stderr: TextIO) -> None:
    """Start from an empty, migrated database."""
    bench_drop_database(url, stderr=stderr)
    bench_subprocess(["migrate", "--verbosity", "0"], url=url, stderr=stderr)


def bench_subprocess(args: list[str], *, url: str, stderr: TextIO, capture: bool = False) -> str:
    """Run `xiaoguan ARGS` against the bench database in a child process (its own settings, its own memory)."""
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "xiaoguan.cli", *args],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    return result.stdout if capture else ""


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def peak_rss_mb(*, children: bool = False) -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_maxrss / 1024


def machine() -> dict[str, object]:
    return {"cores": os.cpu_count(), "python": sys.version.split()[0]}
