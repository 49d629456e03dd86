"""`xiaoguan worker`: the background process beside the web server — runs queued tasks and sweeps every 30 s.

XIAOGUAN_TASKS=db (default) works the database queue; XIAOGUAN_TASKS=rq works the RQ queue on Redis, and any number
of such workers may run on any machines: the sweep and the tasks are safe to run concurrently.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from xiaoguan.automation.sweep import sweep_run
from xiaoguan.core.clock import clock_now

log = logging.getLogger("xiaoguan.worker")
DELIVERY_BATCH = 100
DELIVERIES_POLL_SECONDS = 0.5


def _sweep_forever(every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            close_old_connections()
            report = sweep_run(now=clock_now())
            if report.timers or report.jobs or report.deliveries or report.errors:
                log.info("sweep: %s", report.as_dict())
        except Exception:
            log.exception("sweep failed")
        finally:
            connection.close()


def _deliveries_forever(every: float, stop: threading.Event) -> None:
    """The database queue's deliveries: sent as they fall due, in batches, without a task row each."""
    from xiaoguan.automation.delivery import deliveries_send_due

    while not stop.is_set():
        try:
            close_old_connections()
            if deliveries_send_due(now=clock_now(), limit=DELIVERY_BATCH):
                continue
        except Exception:
            log.exception("sending deliveries failed")
        stop.wait(every)
    connection.close()


class Command(BaseCommand):
    help = "后台进程：执行任务队列，并每 30 秒扫描一次到期事项（XIAOGUAN_TASKS=db 数据库队列；=rq Redis 上的 RQ）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sweep-every", type=float, default=settings.XIAOGUAN_SWEEP_SECONDS, help="扫描间隔（秒），0 表示不扫描")
        parser.add_argument("--burst", action="store_true", help="执行完队列中现有任务后退出（测试与脚本用）")
        parser.add_argument("--nice", type=int, default=0, help="降低本进程的 CPU 优先级（xiaoguan serve 用 10：网页请求优先）")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s worker[%(process)d] %(message)s")
        if options["nice"]:
            # Beside the web server, background work (e-mail, sweeps) takes the CPU the requests leave: at 200
            # captures/s the e-mails trail by seconds instead of the requests waiting behind them.
            os.nice(options["nice"])
        # Inherited by the processes RQ forks for each job, so a task can say which worker ran it.
        os.environ["XIAOGUAN_WORKER_ID"] = f"{socket.gethostname()}:{os.getpid()}"
        stop = threading.Event()
        every = options["sweep_every"]
        if every > 0:
            threading.Thread(target=_sweep_forever, args=(every, stop), name="sweep", daemon=True).start()
        if settings.XIAOGUAN_TASKS != "rq" and not options["burst"]:
            threading.Thread(target=_deliveries_forever, args=(DELIVERIES_POLL_SECONDS, stop), name="deliveries", daemon=True).start()
        try:
            if settings.XIAOGUAN_TASKS == "rq":
                self._work_rq(burst=options["burst"])
            else:
                self._work_db(burst=options["burst"])
        finally:
            stop.set()

    def _work_rq(self, *, burst: bool) -> None:
        from django.tasks import default_task_backend
        from rq import Worker

        backend: Any = default_task_backend
        worker = Worker([backend.queue(q) for q in ("default",)], connection=backend.connection, name=f"xiaoguan-{os.getpid()}")
        worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")

    def _work_db(self, *, burst: bool) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        from xiaoguan.automation.delivery import deliveries_send_due

        if burst:
            while deliveries_send_due(now=clock_now(), limit=DELIVERY_BATCH):
                pass
        worker = Worker(
            queue_names=["default"], interval=0.5, batch=burst, backend_name="default", startup_delay=False, max_tasks=None,
            worker_id=f"xiaoguan-{os.getpid()}", excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
