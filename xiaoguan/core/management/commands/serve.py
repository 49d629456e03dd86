"""`xiaoguan serve`: the web server (gunicorn) and the processes that run beside it, stopped together by one Ctrl-C."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from xiaoguan.core.sqlite.checkpoint import checkpoints_start

EXIT_CHILD_DIED = 3
STOP_GRACE_SECONDS = 15  # a little more than gunicorn's --graceful-timeout below
READY_TIMEOUT_SECONDS = 60
POLL_SECONDS = 0.2


def _die_with_parent() -> None:
    """Runs in the child before exec: if the supervisor itself is killed (SIGKILL, OOM), the child gets SIGTERM."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _kill_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn，生产级）及其旁边的后台进程；Ctrl-C 或 SIGTERM 会停止它启动的全部进程。"
    requires_system_checks: list[str] = []  # the gunicorn workers load and check the project themselves

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="监听地址 HOST:PORT（默认 127.0.0.1:8000）")
        parser.add_argument("--workers", type=int, default=3, help="gunicorn 工作进程数（默认 3）")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台进程（任务队列与定时扫描由别处的 xiaoguan worker 负责）")

    def handle(self, *args: Any, **options: Any) -> None:
        bind: str = options["bind"]
        host, _, port = bind.rpartition(":")
        children = {"web": self._gunicorn_args(bind=bind, workers=options["workers"])}
        if not options["no_worker"]:
            # The background worker: queued tasks (e-mail, webhooks) and the sweep every 30 s (timers, digests, retries).
            children["worker"] = [sys.executable, "-m", "xiaoguan.cli", "worker", "--nice", "10"]
        code = self._supervise(children=children, ready=(host.strip("[]") or "127.0.0.1", int(port)), url=f"http://{bind}")
        if code:
            sys.exit(code)

    def _gunicorn_args(self, *, bind: str, workers: int) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", bind, "--workers", str(workers), "--graceful-timeout", "10", "--log-level", "warning",
            # The project is imported and its URLs built once, before the fork (config/wsgi.py): workers answer their
            # first request at full speed and share those pages of memory.
            "--preload",
        ]  # fmt: skip

    def _supervise(self, *, children: dict[str, list[str]], ready: tuple[str, int], url: str) -> int:
        """Run the children until a signal asks to stop or one of them dies; then stop the rest. Returns the exit code."""
        stop_requests: list[int] = []

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop_requests.append(signum)

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, request_stop)

        # Each child leads its own process group, so a terminal's Ctrl-C reaches only this supervisor, which then stops
        # the children in order (gunicorn drains its requests) instead of every process dying at once.
        procs = {
            name: subprocess.Popen(args, cwd=settings.PROJECT_ROOT, process_group=0, preexec_fn=_die_with_parent)  # noqa: S603 - our argv
            for name, args in children.items()
        }
        code, announced, started = 0, False, time.monotonic()
        checkpoints = checkpoints_start()
        while not stop_requests:
            dead = [(name, proc) for name, proc in procs.items() if proc.poll() is not None]
            if dead:
                name, proc = dead[0]
                self.stderr.write(f"xiaoguan serve: {name} 进程意外退出（退出码 {proc.returncode}），正在停止其余进程")
                code = proc.returncode or EXIT_CHILD_DIED
                break
            if not announced and _accepts_connections(*ready):
                announced = True
                self.stderr.write(f"xiaoguan 正在运行: {url}/   （Ctrl-C 停止）")
            elif not announced and time.monotonic() - started > READY_TIMEOUT_SECONDS:
                announced = True
                self.stderr.write(f"xiaoguan serve: {READY_TIMEOUT_SECONDS} 秒后 {url} 仍未响应，继续等待")
            time.sleep(POLL_SECONDS)
        if checkpoints is not None:
            checkpoints.set()
        self._stop(procs=procs, stop_requests=stop_requests)
        return code

    def _stop(self, *, procs: dict[str, subprocess.Popen[bytes]], stop_requests: list[int]) -> None:
        """SIGTERM each child, wait for a graceful exit, then SIGKILL whatever is left of its process group."""
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        asked = len(stop_requests)
        # A second Ctrl-C while waiting means "now": skip the grace period.
        while any(p.poll() is None for p in procs.values()) and time.monotonic() < deadline and len(stop_requests) <= asked:
            time.sleep(POLL_SECONDS)
        for proc in procs.values():
            _kill_group(proc.pid, signal.SIGKILL)  # also reaps grandchildren a child left behind
            proc.wait()
