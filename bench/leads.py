"""`xiaoguan bench leads [--size small|full|N] [--keep]`: capture → assigned → rep notified, under load, over HTTP.

The issue's target: `POST /api/leads` answered with p99 < 100 ms at 200 leads/s sustained for 60 s, on SQLite and on
PostgreSQL, 2 cores, load generator on loopback; the assignment, the SLA timer and the in-app notification are committed
inside the request, e-mail goes out asynchronously (the worker). Also the same call with 1M existing leads (`full`).

In a child process whose settings point at the throwaway database (bench/_child.py):

1. setup: migrate (done by the parent), the seeded organisation of bench/_generate.py (15 reps in 6 regions with
   their managers and a director, all with e-mail addresses so every notification has an e-mail delivery) plus
   existing customers and, for `full`, 1M existing leads; an admin whose API token the load uses (an admin's leads
   are routed, not owned); three routing rules (华东 round-robin, 华南 with budget ≥ 50,000 least-loaded, a nationwide
   catch-all round-robin) and every rep's daily cap raised to 1,000,000 so 12,000 leads in a minute never exhaust it
   (so the fallback queue stays empty; a lead that lands there anyway is counted as such, not as an error);
2. for each worker configuration: `xiaoguan serve --bind 127.0.0.1:<free port> --workers N` (gunicorn + the background
   worker that sends the e-mail over SMTP to a local aiosmtpd sink), started as production would, with `GUNICORN_CMD_ARGS`
   for a worker class other than sync; the load generator (bench/_load.py, a separate process) warms up for 3 s at
   40/s, then sends RATE requests/s for SECONDS, open loop; after the run the e-mail queue is given up to 60 s to drain;
   the server is stopped; then every lead the run created is checked in the database: an owner (or a place in the
   fallback queue with its reason), a LeadAssignment with a reason, a running `lead_sla` Timer, an in-app Notification
   for its rep, and the e-mail Delivery sent (with how long after the request);
3. a profile: the same request in-process (Django test client, whole middleware stack), SQL attributed to the layer
   that issued it and cProfile cumulative times of the layers; optionally (XIAOGUAN_BENCH_PYSPY=1) py-spy on one
   gunicorn worker during the first run.

Environment knobs: XIAOGUAN_BENCH_RATE (200), XIAOGUAN_BENCH_SECONDS (60), XIAOGUAN_BENCH_WORKERS (comma-separated
configurations, each `N` for N sync workers or `gthread:NxT` for N workers of T threads; default `3`),
XIAOGUAN_BENCH_PROFILE_REQUESTS (200; 0 skips the profile), XIAOGUAN_BENCH_PYSPY (0/1), XIAOGUAN_BENCH_SAMPLES_DIR (keep
every request's timing there, one JSON file per run).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _child import child_main, run_in_child
from _common import PROJECT_ROOT, bench_database_url, bench_reset_database, bench_subprocess, machine, peak_rss_mb, percentile

TARGET_P99_MS = 100.0
TARGET_RATE = 200.0
SIZES: dict[str, int] = {"small": 0, "full": 1_000_000}
REPS = 15
DAILY_CAP = 1_000_000
BENCH_DIR = Path(__file__).resolve().parent


def _params(size: str | None) -> dict[str, Any]:
    size = size or "small"
    if size.isdigit():
        existing = int(size)
    elif size in SIZES:
        existing = SIZES[size]
    else:
        raise ValueError(f"--size: small (no existing leads), full (1M existing leads) or a number of leads, not {size!r}")
    return {
        "size": size,
        "existing_leads": existing,
        "rate": float(os.environ.get("XIAOGUAN_BENCH_RATE", TARGET_RATE)),
        "seconds": float(os.environ.get("XIAOGUAN_BENCH_SECONDS", "60")),
        "configs": [c.strip() for c in os.environ.get("XIAOGUAN_BENCH_WORKERS", "3").split(",") if c.strip()],
        "profile_requests": int(os.environ.get("XIAOGUAN_BENCH_PROFILE_REQUESTS", "200")),
        "pyspy": os.environ.get("XIAOGUAN_BENCH_PYSPY", "0") == "1",
    }


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    params = _params(size)
    url = bench_database_url("leads")
    print(f"bench leads: resetting the bench database ({url.split('@')[-1]})", file=stderr, flush=True)
    bench_reset_database(url, stderr=stderr)
    figures = run_in_child(Path(__file__), {**params, "url": url}, url=url, stderr=stderr)
    figures["peak_rss_mb"] = round(peak_rss_mb(children=True), 1)
    figures["machine"] = machine()
    if keep:
        figures["kept_database"] = url.split("@")[-1]
    elif url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        bench_subprocess(["flush_schema"], url=url, stderr=stderr)
    return figures


# ------------------------------------------------------------------------------------------------ in the child: setup


def setup(*, existing_leads: int, stderr: TextIO) -> dict[str, Any]:
    """The organisation, customers, existing leads, the rules, raised caps and the admin's API token."""
    from _generate import generate
    from django.db import connection

    from xiaoguan.automation.delivery import notification_preferences_set
    from xiaoguan.core.clock import clock_now
    from xiaoguan.customers.models import Account
    from xiaoguan.org.models import Role, Team, User
    from xiaoguan.org.services import api_token_create
    from xiaoguan.routing.services import rep_capacity_update, rule_create

    started = time.perf_counter()
    if existing_leads:
        generated = generate(leads=existing_leads, activities=0, reps=REPS, stderr=stderr)
    else:
        generated = generate(leads=0, activities=0, reps=REPS, accounts=2000, opportunities=0, tasks=0, stderr=stderr)
    now = clock_now()
    admin = User.objects.create_user(
        email="admin@bench.example", name="接口管理员", role=Role.ADMIN, is_staff=True, team=Team.objects.get(kind=Team.Kind.COMPANY)
    )
    regions = {t.name: t for t in Team.objects.filter(kind=Team.Kind.REGION)}
    company = Team.objects.get(kind=Team.Kind.COMPANY)
    rule_create(by=admin, now=now, values={
        "name": "华东大区线索", "conditions": {"regions": [regions["华东大区"].pk]}, "target_team": regions["华东大区"],
        "strategy": "round_robin",
    })
    rule_create(by=admin, now=now, values={
        "name": "华南大额线索", "conditions": {"regions": [regions["华南大区"].pk], "budget_min": "50000"},
        "target_team": regions["华南大区"], "strategy": "least_loaded",
    })
    rule_create(by=admin, now=now, values={"name": "全国兜底", "conditions": {}, "target_team": company, "strategy": "round_robin"})
    reps = list(User.objects.filter(role=Role.REP, is_active=True))
    for rep in reps:
        rep_capacity_update(rep=rep, by=admin, now=now, daily_cap=DAILY_CAP, away=False)
        # lead_assigned goes to WeCom/DingTalk work notices by default (not configured here): the reps choose e-mail,
        # so every assignment also has an e-mail Delivery that the worker sends after commit.
        notification_preferences_set(user=rep, choices={"lead_assigned": ["email"], "lead_recaptured": ["email"]})
    _token, key = api_token_create(user=admin, name="bench leads", now=now)
    account_names = list(Account.objects.order_by("?").values_list("name", flat=True)[:300])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()
    return {
        "token": key, "account_names": account_names, "reps": len(reps), "managers": len(generated["manager_ids"]),
        "rows": generated["rows"], "setup_seconds": round(time.perf_counter() - started, 1),
    }


# ------------------------------------------------------------------------------------------------ the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gunicorn_args(config: str) -> tuple[int, str, str]:
    """`3` → 3 sync workers; `gthread:2x4` → 2 workers of 4 threads. Returns (workers, GUNICORN_CMD_ARGS, label)."""
    if config.startswith("gthread:"):
        workers, _, threads = config.removeprefix("gthread:").partition("x")
        return int(workers), f"--worker-class gthread --threads {int(threads or 4)}", f"gthread {workers}x{threads or 4}"
    return int(config), "", f"sync {config}"


class Server:
    """`xiaoguan serve` on a free loopback port, the production way (gunicorn + the background worker)."""

    def __init__(self, *, url: str, config: str, stderr: TextIO) -> None:
        self.port = _free_port()
        workers, gunicorn_args, self.label = _gunicorn_args(config)
        # E-mail goes over real SMTP to a local sink (aiosmtpd's Sink handler accepts and drops every message).
        # (Django's locmem backend cannot be used: settings.MAILERS passes it the SMTP options, which it refuses.)
        self.smtp_port = _free_port()
        self.smtp = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{self.smtp_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        env = {
            **os.environ, "DATABASE_URL": url, "XIAOGUAN_DEBUG": "0",
            "XIAOGUAN_EMAIL_HOST": "127.0.0.1", "XIAOGUAN_EMAIL_PORT": str(self.smtp_port),
            "XIAOGUAN_LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1",
        }
        env.pop("XIAOGUAN_EMAIL_BACKEND", None)
        if gunicorn_args:
            env["GUNICORN_CMD_ARGS"] = gunicorn_args
        self.log = tempfile.NamedTemporaryFile(prefix="bench-leads-serve-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "xiaoguan.cli", "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)],
            cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, process_group=0,
        )
        self.stderr = stderr

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"xiaoguan serve exited ({self.proc.returncode}): {self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"xiaoguan serve not answering after {timeout} s: {self.tail()}")

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes (grandchildren: serve → gunicorn master → workers)."""
        def children(pid: int) -> list[int]:
            try:
                return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except OSError:
                return []

        out = []
        for child in children(self.proc.pid):
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"gunicorn" in cmdline:
                out.extend(children(child))
        return out

    def tail(self) -> str:
        try:
            return Path(self.log.name).read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # serve stops gunicorn (draining) and the worker
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.smtp.terminate()
        self.smtp.wait()
        Path(self.log.name).unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------ one run


def _stats(samples: list[dict[str, Any]], *, rate: float, seconds: float) -> dict[str, Any]:
    ok = [s for s in samples if s["status"] in (200, 201)]
    ms = [s["ms"] for s in samples]
    ok_ms = [s["ms"] for s in ok]
    last_done = max((s["t"] + s["ms"] / 1000 for s in samples), default=seconds)
    statuses: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    for s in samples:
        statuses[str(s["status"])] = statuses.get(str(s["status"]), 0) + 1
        if s["outcome"]:
            outcomes[s["outcome"]] = outcomes.get(s["outcome"], 0) + 1
    # 10-second windows: a p99 that drifts upward over the minute means the server is falling behind.
    windows = []
    for w in range(int(seconds // 10)):
        part = [s["ms"] for s in samples if w * 10 <= s["t"] < (w + 1) * 10]
        if part:
            windows.append({"from_s": w * 10, "p50_ms": round(percentile(part, 50), 1), "p99_ms": round(percentile(part, 99), 1)})
    return {
        "requests": len(samples),
        "ok": len(ok),
        "errors": len(samples) - len(ok),
        "statuses": statuses,
        "outcomes": outcomes,
        "offered_per_s": rate,
        "per_s": round(len(ok) / last_done, 1) if last_done else 0.0,
        "p50_ms": round(percentile(ms, 50), 1),
        "p90_ms": round(percentile(ms, 90), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else None,
        "ok_p99_ms": round(percentile(ok_ms, 99), 1) if ok_ms else None,
        "service_p99_ms": round(percentile([s["service_ms"] for s in samples], 99), 1),
        "send_lag_p99_ms": round(percentile([s["lag_ms"] for s in samples], 99), 1),
        "windows_10s": windows,
        "error_samples": [{k: s.get(k) for k in ("status", "error", "body", "ms")} for s in samples if s["status"] not in (200, 201)][:5],
    }


def _pending_deliveries(since_id: int) -> int:
    from django.db import close_old_connections

    from xiaoguan.automation.models import Delivery

    n = Delivery.objects.filter(notification__subject_kind="lead", notification__subject_id__gt=since_id,
                                status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]).count()
    close_old_connections()
    return n


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            continue
    return total


def one_run(*, url: str, config: str, setup_info: dict[str, Any], rate: float, seconds: float, run_no: int, pyspy: bool,
            stderr: TextIO) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Max

    from xiaoguan.leads.models import Lead

    high_water = Lead.objects.aggregate(m=Max("id"))["m"] or 0
    connection.close()
    server = Server(url=url, config=config, stderr=stderr)
    result: dict[str, Any] = {"workers": server.label}
    try:
        server.wait_ready()
        time.sleep(1.0)
        out = Path(tempfile.mkstemp(prefix="bench-leads-samples-", suffix=".json")[1])
        cfg = Path(tempfile.mkstemp(prefix="bench-leads-load-", suffix=".json")[1])
        cfg.write_text(json.dumps({
            "host": "127.0.0.1", "port": server.port, "token": setup_info["token"], "rate": rate, "seconds": seconds,
            "warmup_rate": 40, "warmup_seconds": 3, "seed": run_no, "prefix": f"bench-{run_no}-{int(time.time())}",
            "account_names": setup_info["account_names"], "out": str(out),
        }, ensure_ascii=False))
        print(f"  [{server.label}] port {server.port}: warm-up 3 s at 40/s, then {rate:g}/s for {seconds:g} s", file=stderr, flush=True)
        load_before = os.getloadavg()
        workers = server.worker_pids()
        ticks0, wall0 = _cpu_ticks(workers), time.monotonic()
        load = subprocess.Popen([sys.executable, str(BENCH_DIR / "_load.py"), str(cfg)], stdout=subprocess.PIPE, text=True)
        spy = None
        if pyspy and workers:
            spy_out = Path(tempfile.mkstemp(prefix="bench-leads-pyspy-", suffix=".txt")[1])
            spy = (subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(workers[0]), "--duration", str(int(min(seconds, 30))),
                 "--rate", "200", "--format", "raw", "--nonblocking", "--output", str(spy_out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            ), spy_out)
        load_out, _ = load.communicate()
        ticks1, wall1 = _cpu_ticks(workers), time.monotonic()
        load_after = os.getloadavg()
        lines = [line for line in load_out.splitlines() if line.strip()]
        summary = json.loads(lines[-1]) if lines else {"error": "no output from the load generator"}
        if "error" in summary:
            raise RuntimeError(f"load generator: {summary}; server log: {server.tail()}")
        samples = json.loads(out.read_text())
        if keep_dir := os.environ.get("XIAOGUAN_BENCH_SAMPLES_DIR"):
            # Every request's timing, for looking at where the slow ones fall (one JSON file per run).
            Path(keep_dir).mkdir(parents=True, exist_ok=True)
            out.replace(Path(keep_dir) / f"leads-run{run_no}-{server.label.replace(' ', '')}.json")
        out.unlink(missing_ok=True)
        cfg.unlink(missing_ok=True)
        result.update(_stats(samples, rate=rate, seconds=seconds))
        result["target_met"] = result["p99_ms"] < TARGET_P99_MS and result["per_s"] >= 0.98 * TARGET_RATE and result["errors"] == 0
        hz = os.sysconf("SC_CLK_TCK")
        result["web_workers_cpu_share"] = round((ticks1 - ticks0) / hz / (wall1 - wall0), 2)  # in cores, over warm-up + run
        result["generator"] = summary
        result["load_avg_1m"] = [round(load_before[0], 2), round(load_after[0], 2)]
        print(f"  [{server.label}] p50 {result['p50_ms']} ms  p90 {result['p90_ms']} ms  p99 {result['p99_ms']} ms  max {result['max_ms']} ms  "
              f"{result['per_s']}/s  errors {result['errors']}  load {result['load_avg_1m']}  web CPU {result['web_workers_cpu_share']} cores  "
              f"generator CPU {summary.get('generator_cpu_share')}", file=stderr, flush=True)
        if spy is not None:
            _, spy_err = spy[0].communicate(timeout=120)
            result["pyspy"] = _pyspy_summary(spy[1], spy_err)
            spy[1].unlink(missing_ok=True)
        # E-mail goes out from the worker after commit: give the queue up to 60 s to drain.
        drain_started = time.monotonic()
        pending = _pending_deliveries(high_water)
        while pending and time.monotonic() - drain_started < 60:
            time.sleep(1.0)
            pending = _pending_deliveries(high_water)
        result["email_drain_s"] = round(time.monotonic() - drain_started, 1)
        result["email_pending_after_drain"] = pending
    finally:
        server.stop()
    result["verify"] = verify(high_water=high_water, samples=samples)
    return result


# ------------------------------------------------------------------------------------------------ verification


def verify(*, high_water: int, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Every lead created by the run (warm-up included): owner or fallback queue, assignment with a reason, a running
    lead_sla timer, an in-app notification for its rep; and what happened to their e-mail."""
    from django.db.models import F

    from xiaoguan.automation.models import Delivery, Notification, Timer
    from xiaoguan.leads.models import Lead, LeadAssignment
    from xiaoguan.routing.models import RouteMiss

    leads = list(Lead.objects.filter(id__gt=high_water).values_list("id", "owner_id", "external_id", "status"))
    ids = [lead[0] for lead in leads]
    owned = {lead[0]: lead[1] for lead in leads if lead[1] is not None}
    unowned = [lead[0] for lead in leads if lead[1] is None]

    def in_chunks(values: list[int]) -> list[list[int]]:
        return [values[i:i + 5000] for i in range(0, len(values), 5000)]

    queued: set[int] = set()
    with_reason: set[int] = set()
    timers: set[int] = set()
    notified: set[tuple[int, int]] = set()
    for chunk in in_chunks(ids):
        queued |= set(RouteMiss.objects.filter(lead_id__in=chunk).values_list("lead_id", flat=True))
        with_reason |= set(LeadAssignment.objects.filter(lead_id__in=chunk).exclude(reason="").values_list("lead_id", flat=True))
        timers |= set(Timer.objects.filter(kind="lead_sla", subject_kind="lead", subject_id__in=chunk, due_at__isnull=False)
                      .values_list("subject_id", flat=True))
        notified |= set(Notification.objects.filter(subject_kind="lead", subject_id__in=chunk, kind="lead_assigned")
                        .values_list("subject_id", "recipient_id"))
    missing_notice = [i for i, rep in owned.items() if (i, rep) not in notified]
    deliveries = Delivery.objects.filter(notification__subject_kind="lead", notification__subject_id__gt=high_water)
    by_status: dict[str, int] = {}
    for status in deliveries.values_list("status", flat=True):
        by_status[status] = by_status.get(status, 0) + 1
    lags = [(sent - created).total_seconds() for created, sent in deliveries.filter(status=Delivery.Status.SENT)
            .annotate(c=F("created_at")).values_list("c", "sent_at")]
    answered = {s["lead"] for s in samples if s["status"] in (200, 201) and s["lead"]}
    known = {lead[2] for lead in leads} | set(
        Lead.objects.filter(external_id__in=list(answered - {lead[2] for lead in leads})).values_list("external_id", flat=True)
    )
    problems = {
        "neither_owner_nor_queue": len([i for i in unowned if i not in queued]),
        "owned_without_reasoned_assignment": len([i for i in owned if i not in with_reason]),
        "owned_without_running_sla_timer": len([i for i in owned if i not in timers]),
        "owned_without_notification_to_rep": len(missing_notice),
        "answered_lead_not_in_db": len(answered - known),
    }
    return {
        "leads_created": len(ids),
        "assigned": len(owned),
        "in_fallback_queue": len([i for i in unowned if i in queued]),
        **problems,
        "ok": not any(problems.values()),
        "deliveries": by_status,
        "email_lag_p50_s": round(percentile(lags, 50), 2) if lags else None,
        "email_lag_p99_s": round(percentile(lags, 99), 2) if lags else None,
        "delivery_errors": list(deliveries.exclude(last_error="").values_list("last_error", flat=True).distinct()[:3]),
    }


# ------------------------------------------------------------------------------------------------ profile


# Where a query comes from: the innermost of these functions on the stack when it runs.
LAYERS = (
    "api_token_user", "capture_by_idempotency_key", "lead_open_by_sender", "lead_open_by_keys", "account_by_company_key",
    "account_by_contact_phone", "history_record", "rule_list_enabled", "rule_specs", "region_names", "rep_states", "_decide_one",
    "_route_decision", "timers_arm", "_deliveries_plan", "notify", "lead_assign", "_miss_record", "lead_route",
    "capture_response_store", "capture_lead", "leads_create",
)


def profile(*, token: str, requests: int, stderr: TextIO) -> dict[str, Any]:
    """The same request in-process: queries per request by layer, SQL ms by layer, cProfile cumulative ms by layer."""
    import cProfile
    import pstats
    import random

    from _load import bodies
    from django.db import close_old_connections, connection
    from django.test import Client

    client = Client()
    items = bodies(n=requests + 10, seed=999, prefix=f"profile-{int(time.time())}", account_names=[])
    headers = {"Authorization": f"Bearer {token}"}

    def post(body: dict[str, Any]) -> int:
        payload = json.dumps({k: v for k, v in body.items() if not k.startswith("_")}, ensure_ascii=False)
        response = client.post("/api/leads", data=payload, content_type="application/json",
                               headers={**headers, "Idempotency-Key": body["_key"]})
        close_old_connections()
        return response.status_code

    for body in items[:10]:
        post(body)
    layer_queries: dict[str, int] = {}
    layer_ms: dict[str, float] = {}
    wall: list[float] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        frame = sys._getframe(1)
        layer = "other (auth, session, middleware, commit)"
        while frame is not None:
            if frame.f_code.co_name in LAYERS:
                layer = frame.f_code.co_name
                break
            frame = frame.f_back
        if sql.startswith(("COMMIT", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")) or "SAVEPOINT" in sql[:20]:
            layer = "transaction control"
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            layer_queries[layer] = layer_queries.get(layer, 0) + 1
            layer_ms[layer] = layer_ms.get(layer, 0.0) + (time.perf_counter() - started) * 1000

    statuses: dict[int, int] = {}
    rnd = random.Random(5)
    rnd.shuffle(items)
    half = 10 + (len(items) - 10) // 2
    cpu: list[float] = []
    for body in items[10:half]:  # plain: wall and CPU of the process (SQLite's work included; PostgreSQL's not)
        started, started_cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(wrapper):
            status = post(body)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    n = len(wall)
    profiler = cProfile.Profile()
    profiled_wall: list[float] = []
    for body in items[half:]:  # under cProfile (slower; its figures are scaled to the plain wall time below)
        started = time.perf_counter()
        profiler.enable()
        post(body)
        profiler.disable()
        profiled_wall.append((time.perf_counter() - started) * 1000)
    n_prof = len(profiled_wall)
    stats = pstats.Stats(profiler)
    cumulative: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if name in LAYERS or name in ("of", "_row", "request_fingerprint", "lead_fields_clean", "save", "first_contact_due",
                                      "_clock_start", "lead_facts_of", "decide", "commit", "_commit", "get_response", "_deliveries_enqueue",
                                      "phone_key", "company_key", "authenticate", "__call__"):
            if "xiaoguan" in filename or name in ("commit", "_commit", "get_response"):
                key = f"{name} ({Path(filename).parent.name}/{Path(filename).name})"
                cumulative[key] = max(cumulative.get(key, 0.0), ct * 1000 / n_prof)
    # cProfile slows Python code more than SQL; its cumulative times are scaled so the request total is the plain p50.
    scale = percentile(wall, 50) / max(percentile(profiled_wall, 50), 1e-9)
    top = {k: v * scale for k, v in sorted(cumulative.items(), key=lambda kv: -kv[1])[:30]}
    queries_total = sum(layer_queries.values())
    out = {
        "requests": n, "statuses": statuses,
        "wall_p50_ms": round(percentile(wall, 50), 2), "wall_p99_ms": round(percentile(wall, 99), 2),
        "cpu_p50_ms": round(percentile(cpu, 50), 2), "load_avg_1m": round(os.getloadavg()[0], 2),
        "queries_per_request": round(queries_total / n, 1),
        "sql_ms_per_request": round(sum(layer_ms.values()) / n, 2),
        "queries_by_layer": {k: round(v / n, 2) for k, v in sorted(layer_queries.items(), key=lambda kv: -layer_ms[kv[0]])},
        "sql_ms_by_layer": {k: round(v / n, 2) for k, v in sorted(layer_ms.items(), key=lambda kv: -kv[1])},
        "cumulative_ms_by_function (scaled)": {k: round(v, 2) for k, v in top.items()},
    }
    print(f"profile (in-process, {n} requests): wall p50 {out['wall_p50_ms']} ms, CPU p50 {out['cpu_p50_ms']} ms, {out['queries_per_request']} queries, "
          f"{out['sql_ms_per_request']} ms SQL per request", file=stderr)
    for k, v in out["sql_ms_by_layer"].items():
        print(f"    SQL {k:<45} {out['queries_by_layer'][k]:5.2f} q  {v:6.2f} ms", file=stderr)
    for k, v in top.items():
        print(f"    cum {k:<60} {v:7.2f} ms", file=stderr)
    return out


def _pyspy_summary(path: Path, err: str) -> dict[str, Any]:
    """py-spy's collapsed stacks → share of samples per layer (innermost xiaoguan layer function on the stack) and the
    hottest leaf functions."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {"error": (err or "no output")[-300:]}
    if not lines:
        return {"error": (err or "no samples")[-300:]}
    total = 0
    in_request = 0
    layers: dict[str, int] = {}
    leaves: dict[str, int] = {}
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        try:
            count = int(count_text)
        except ValueError:
            continue
        frames = stack.split(";")
        total += count
        if not any(f.startswith("leads_create ") for f in frames):
            continue
        in_request += count
        layer = "leads_create (router)"
        for frame in reversed(frames):
            name = frame.split(" ", 1)[0]
            if name in LAYERS:
                layer = name
                break
        leaf = frames[-1]
        if any(m in frame for frame in frames[-6:] for m in ("sqlite3", "psycopg", "execute")):
            layer += " [SQL]"
        layers[layer] = layers.get(layer, 0) + count
        leaves[leaf] = leaves.get(leaf, 0) + count
    return {
        "samples": total,
        "in_leads_create": in_request,
        "layers_share": {k: round(v / max(in_request, 1), 3) for k, v in sorted(layers.items(), key=lambda kv: -kv[1])[:20]},
        "top_leaves": dict(sorted(leaves.items(), key=lambda kv: -kv[1])[:15]),
    }


# ------------------------------------------------------------------------------------------------ the child's entry


def measure(
    *, size: str, existing_leads: int, rate: float, seconds: float, configs: list[str], profile_requests: int, pyspy: bool, url: str,
    stderr: TextIO,
) -> dict[str, Any]:
    from django.db import connection

    vendor = connection.vendor
    print(f"bench leads: setup on {vendor} ({existing_leads:,} existing leads)", file=stderr, flush=True)
    info = setup(existing_leads=existing_leads, stderr=stderr)
    print(f"setup: {info['reps']} reps, {info['managers']} managers, {info['setup_seconds']} s", file=stderr, flush=True)
    runs = []
    for n, config in enumerate(configs, start=1):
        runs.append(one_run(url=url, config=config, setup_info=info, rate=rate, seconds=seconds, run_no=n, pyspy=pyspy and n == 1,
                            stderr=stderr))
        print(f"  verify: {runs[-1]['verify']}", file=stderr, flush=True)
    prof = profile(token=info["token"], requests=profile_requests, stderr=stderr) if profile_requests else None
    best = min(runs, key=lambda r: (not r["target_met"], r["p99_ms"]))
    return {
        "benchmark": "leads",
        "size": size,
        "database": vendor,
        "existing_leads": existing_leads,
        "target": f"p99 < {TARGET_P99_MS:g} ms at {TARGET_RATE:g}/s for 60 s",
        "target_met": best["target_met"] and best["verify"]["ok"] and seconds >= 60 and rate >= TARGET_RATE,
        "workers": best["workers"],
        "p50_ms": best["p50_ms"],
        "p90_ms": best["p90_ms"],
        "p99_ms": best["p99_ms"],
        "max_ms": best["max_ms"],
        "per_s": best["per_s"],
        "errors": best["errors"],
        "load_avg_1m": best["load_avg_1m"],
        "rate": rate,
        "seconds": seconds,
        "runs": runs,
        "profile": prof,
        "setup": {k: v for k, v in info.items() if k not in ("token", "account_names")},
    }


if __name__ == "__main__":
    child_main(measure)
