"""The developer tooling behind `make run`: picking a Python, detecting an empty database, serving and stopping."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories.org import UserFactory

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _fake_python(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_find_python_takes_the_newest_working_312_plus_and_skips_broken_shims(tmp_path):
    # given a shim that fails (as pyenv's do when the version is not active), a 3.12 and an old python3
    _fake_python(tmp_path, "python3.13", "echo 'pyenv: python3.13: command not found' >&2; exit 127")
    good = _fake_python(tmp_path, "python3.12", "echo 312005")
    _fake_python(tmp_path, "python3", "echo 311007")
    # when the finder runs with only those on PATH
    result = subprocess.run(
        [PROJECT_ROOT / "scripts" / "find_python.sh"], env={"PATH": f"{tmp_path}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    # then it names the working 3.12
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(good)


def test_find_python_fails_with_a_message_when_nothing_is_new_enough(tmp_path):
    _fake_python(tmp_path, "python3", "echo 311007")
    result = subprocess.run(
        [PROJECT_ROOT / "scripts" / "find_python.sh"],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "no-pyenv")},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "3.12" in result.stderr


@pytest.mark.django_db
def test_db_is_empty_until_the_first_user_exists():
    call_command("db_is_empty")  # exit 0: nothing raised
    UserFactory()
    with pytest.raises(SystemExit) as exited:
        call_command("db_is_empty")
    assert exited.value.code == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if text in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serve_answers_http_and_ctrl_c_leaves_no_process_behind(tmp_path):
    # given `xiaoguan serve` on a free port with a throwaway database
    bind = f"127.0.0.1:{_free_port()}"
    env = {**os.environ, "XIAOGUAN_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    # migrated, as `make run` leaves it: the background worker beside gunicorn reads its task table from the start
    subprocess.run([sys.executable, "-m", "xiaoguan.cli", "migrate", "--verbosity", "0"], env=env, cwd=PROJECT_ROOT, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "xiaoguan.cli", "serve", "--bind", bind, "--workers", "1"],
        env=env, cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # when it says it is running
        assert server.stderr is not None
        deadline = time.monotonic() + 60
        while "xiaoguan 正在运行" not in server.stderr.readline():
            assert server.poll() is None and time.monotonic() < deadline, "serve did not come up"
        # then it answers HTTP (any status: the pages are not the point here)
        try:
            status = urllib.request.urlopen(f"http://{bind}/static/__none__", timeout=10).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert 200 <= status < 600
        gunicorn = f"gunicorn config.wsgi:application --bind {bind}"
        assert len(_processes_mentioning(gunicorn)) == 2  # the master and its one worker
        assert len(_processes_mentioning("xiaoguan.cli worker")) == 1  # the background worker beside it
        # and when Ctrl-C arrives, it exits cleanly and nothing it started is left
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
        assert _processes_mentioning(gunicorn) == []
        assert _processes_mentioning("xiaoguan.cli worker") == []
    finally:
        if server.poll() is None:
            server.kill()
