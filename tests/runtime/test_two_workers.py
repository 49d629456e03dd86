"""Two real `xiaoguan worker` processes on RQ (the local Redis) sweep one database at once: each due item once.

The database is a fresh one the workers can share (an SQLite file, or a new PostgreSQL database when the suite
runs on PostgreSQL), migrated and seeded by the real commands. Sweeps are started only through the task queue,
so the distributed path (Django tasks → RQ → worker → sweep) is what is tested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REDIS_URL = os.environ.get("XIAOGUAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LEADS = 4000
SWEEP_JOBS = 40
WAIT_SECONDS = 120

SEED = f"""
from datetime import timedelta
from xiaoguan.automation.models import Timer
from xiaoguan.core.clock import clock_now
from xiaoguan.leads.models import Lead
from xiaoguan.leads.services import lead_assign_bulk, PlannedAssignment
from xiaoguan.org.models import Role, Team, User

now = clock_now()
region = Team.objects.create(name="华东大区", kind=Team.Kind.REGION)
manager = User.objects.create_user("m@example.cn", name="经理", role=Role.MANAGER, team=region)
reps = [User.objects.create_user(f"r{{i}}@example.cn", name=f"销售{{i}}", role=Role.REP, team=region, manager=manager) for i in range(6)]
Lead.objects.bulk_create([Lead(external_id=f"seed-{{i}}", created_at=now, name=f"客户{{i}}", phone=f"139{{i:08d}}", region=region) for i in range({LEADS})])
ids = list(Lead.objects.values_list("pk", flat=True))
lead_assign_bulk(assignments=[PlannedAssignment(lead_id=pk, rep_id=reps[i % 6].pk, reason="seed") for i, pk in enumerate(ids)], now=now)
# Every first-contact clock is due now; the next step (2 business hours after assignment) is in the future.
Timer.objects.filter(kind="lead_sla").update(due_at=now - timedelta(seconds=1))
print("seeded", Timer.objects.filter(kind="lead_sla", due_at__isnull=False).count())
"""

CHECK = """
import json
from django.db.models import Count
from xiaoguan.automation.models import Notification, Timer
timers = Timer.objects.filter(kind="lead_sla")
overdue = Notification.objects.filter(kind="lead_overdue")
print(json.dumps({
    "timers": timers.count(),
    "fired_counts": {str(r["fired_count"]): r["n"] for r in timers.values("fired_count").annotate(n=Count("pk")).order_by()},
    "steps": {str(r["step"]): r["n"] for r in timers.values("step").annotate(n=Count("pk")).order_by()},
    "overdue": overdue.count(),
    "overdue_leads": overdue.values("subject_id").distinct().count(),
}))
"""


def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required for the two-worker test under CI ({REDIS_URL})")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return client


def _fresh_database(tmp_path: Path) -> tuple[str, object]:
    """A database URL the worker processes can share, and a function that drops it afterwards."""
    if connection.vendor != "postgresql":
        return f"sqlite:///{tmp_path / 'two-workers.sqlite3'}", lambda: None
    import psycopg

    params = settings.DATABASES["default"]
    name = f"xg_two_workers_{uuid.uuid4().hex[:8]}"
    admin = f"postgresql://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin.rsplit("/", 1)[0] + f"/{name}", drop


def _xiaoguan(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    result = subprocess.run([sys.executable, "-m", "xiaoguan.cli", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_two_rq_workers_handle_each_due_timer_exactly_once(tmp_path):
    redis_client = _redis()
    redis_client.flushdb()
    url, drop = _fresh_database(tmp_path)
    env = {
        **os.environ, "DATABASE_URL": url, "XIAOGUAN_TASKS": "rq", "REDIS_URL": REDIS_URL,
        "XIAOGUAN_VAR_DIR": str(tmp_path), "XIAOGUAN_SECRET_KEY": "two-workers-test",
        "XIAOGUAN_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        _xiaoguan(env, "migrate", "--noinput", "--verbosity", "0")
        assert f"seeded {LEADS}" in _xiaoguan(env, "shell", "-c", SEED)

        from rq import Queue, Worker

        queue = Queue("default", connection=redis_client)
        logs = [open(tmp_path / f"worker{i}.log", "wb") for i in range(2)]
        # --sweep-every 0: the workers sweep only when a queued task tells them to (the distributed path).
        workers = [
            subprocess.Popen([sys.executable, "-m", "xiaoguan.cli", "worker", "--sweep-every", "0"], env=env, stdout=log, stderr=log)
            for log in logs
        ]
        deadline = time.monotonic() + WAIT_SECONDS
        while len(Worker.all(connection=redis_client)) < 2 and time.monotonic() < deadline:
            assert all(w.poll() is None for w in workers), [(tmp_path / f"worker{i}.log").read_text()[-2000:] for i in range(2)]
            time.sleep(0.2)
        jobs = [queue.enqueue("xiaoguan.automation.rq_backend.rq_run_task", "xiaoguan.automation.tasks.sweep_task", [], {}) for _ in range(SWEEP_JOBS)]
        while time.monotonic() < deadline and not all(job.get_status(refresh=True) in ("finished", "failed") for job in jobs):
            time.sleep(0.3)
        statuses = [job.get_status(refresh=True) for job in jobs]
        assert statuses == ["finished"] * SWEEP_JOBS, (statuses, [(tmp_path / f"worker{i}.log").read_text()[-2000:] for i in range(2)])
        handled = [job.return_value()["timers"].get("lead_sla", 0) for job in jobs]
        # Every due clock was handled by exactly one of the concurrent sweeps, and both workers ran sweeps.
        assert sum(handled) == LEADS, handled
        assert len({job.return_value()["worker"] for job in jobs}) == 2, [job.return_value() for job in jobs]
        if connection.vendor == "postgresql":
            # ...and they really ran at once: concurrent sweeps shared the due clocks (skip-locked), none taken twice.
            # (SQLite lets one writer in at a time; the sweep that holds the lock keeps it batch after batch.)
            assert sum(1 for n in handled if n) >= 2, handled

        state = json.loads(_xiaoguan(env, "shell", "-c", CHECK).strip().splitlines()[-1])
        assert state["timers"] == LEADS
        assert state["fired_counts"] == {"1": LEADS}, state  # each clock handled once: never twice, never skipped
        assert state["steps"] == {"1": LEADS}, state
        assert state["overdue"] == LEADS and state["overdue_leads"] == LEADS, state
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        redis_client.flushdb()
        drop()
