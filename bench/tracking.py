"""`xiaoguan bench tracking [--size small|full|N] [--keep]`: tracked-link hits over HTTP, load from wrk on this machine.

The issue's target: hits on tracked links (a small document or the e-mail pixel, one event written per hit) at
≥ 1,000 requests/s with p99 < 50 ms, 2 cores, the load generator (wrk) on the same machine.

In a child process whose settings point at the throwaway database (bench/_child.py):

1. setup: one rep, customers with contacts and deals, a 2 KB PDF quote stored through documents.document_store, and
   N tracked links (small: 2,000; full: 20,000) sent an hour ago (so no hit is "seconds after sending");
2. a profile in-process: the same hits through the WSGI fast path (tracking/wsgi.py) and through Django's whole stack
   (test Client → web/views/tracking.py), CPU µs per hit — why the fast path exists;
3. for each server configuration: `xiaoguan serve --no-worker --workers N` (gunicorn, as production), wrk warms up for
   3 s, then runs SECONDS with CONNECTIONS connections; every request is a GET of the next path of a shuffled list
   (half `/t/<token>.gif`, half `/t/<token>` serving the PDF, browser user agent), so each hit writes one row: the
   first of its (link, behaviour, window) a TouchEvent, the replays a TrackingHit. After the run the rows written are
   counted against wrk's request count.

Environment knobs: XIAOGUAN_BENCH_SECONDS (20), XIAOGUAN_BENCH_CONNECTIONS (8), XIAOGUAN_BENCH_WRK_THREADS (1),
XIAOGUAN_BENCH_WORKERS (comma-separated gunicorn configurations: `N` sync workers or `gthread:NxT`; default `2,gthread:2x4`).
wrk is a Debian package (`apt-get install -y wrk`); without it the bench says so in its JSON and measures in-process only.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _child import child_main, run_on_fresh_database
from _common import BENCH_VAR, PROJECT_ROOT, median, percentile

TARGET_RPS = 1000.0
TARGET_P99_MS = 50.0
SIZES = {"small": 2_000, "full": 20_000}
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
# Beside the bench database: the stored quote (MEDIA_ROOT) and the secret that signs the tokens, shared by the child
# that makes the tokens and the server that checks them.
VAR_DIR = BENCH_VAR / "tracking-var"

WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("XG_TRACKING_PATHS")) do paths[#paths + 1] = line end
local i = 0
local agent = os.getenv("XG_TRACKING_AGENT")
function init(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000) i = math.random(#paths) end
function request()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format("GET", paths[i], {["User-Agent"] = agent})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON:{"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,' ..
    '"errors_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def _params(size: str | None) -> dict[str, Any]:
    size = size or "small"
    if size.isdigit():
        links = int(size)
    elif size in SIZES:
        links = SIZES[size]
    else:
        raise ValueError(f"--size: small (2,000 links), full (20,000) or a number of links, not {size!r}")
    return {
        "size": size, "links": links,
        "seconds": float(os.environ.get("XIAOGUAN_BENCH_SECONDS", "20")),
        "connections": int(os.environ.get("XIAOGUAN_BENCH_CONNECTIONS", "8")),
        "wrk_threads": int(os.environ.get("XIAOGUAN_BENCH_WRK_THREADS", "1")),
        "configs": [c.strip() for c in os.environ.get("XIAOGUAN_BENCH_WORKERS", "2,gthread:2x4").split(",") if c.strip()],
        "wrk": shutil.which("wrk") or "",
    }


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    params = _params(size)
    if not params["wrk"]:
        print("bench tracking: wrk is not installed (apt-get install -y wrk); measuring in-process only", file=stderr, flush=True)
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The child and the server must sign and check tokens with the same key; it lives only as long as this run.
    os.environ["XIAOGUAN_SECRET_KEY"] = secrets.token_urlsafe(40)
    os.environ["XIAOGUAN_VAR_DIR"] = str(VAR_DIR)
    try:
        figures = run_on_fresh_database(Path(__file__), "tracking", params, keep=keep, stderr=stderr)
    finally:
        if not keep:
            shutil.rmtree(VAR_DIR, ignore_errors=True)
    return figures


# ------------------------------------------------------------------------------------------------ in the child


def setup(*, links: int, stderr: TextIO) -> dict[str, Any]:
    import io
    from datetime import timedelta

    from django.db import connection

    from xiaoguan.core.clock import clock_now
    from xiaoguan.customers.models import Account, Contact
    from xiaoguan.documents.models import Document
    from xiaoguan.documents.services import document_store
    from xiaoguan.opportunities.models import Opportunity, Pipeline
    from xiaoguan.org.models import Role, Team, User
    from xiaoguan.tracking.models import TrackedLink
    from xiaoguan.tracking.tokens import token_for

    started = time.perf_counter()
    now = clock_now()
    sent = now - timedelta(hours=1)
    team = Team.objects.create(name="华东大区", kind=Team.Kind.REGION)
    rep = User.objects.create_user(email="rep@bench.example", name="小李", role=Role.REP, team=team)
    pipeline = Pipeline.objects.get(external_id="standard")
    first_stage = pipeline.stages.order_by("position").first()
    accounts = Account.objects.bulk_create([
        Account(external_id=f"BA{i:07d}", name=f"苏州测试客户{i}有限公司", owner=rep, region=team, created_at=sent) for i in range(200)
    ])
    accounts = list(Account.objects.order_by("pk"))
    Contact.objects.bulk_create([Contact(external_id=f"BC{i:07d}", account=a, name=f"联系人{i}") for i, a in enumerate(accounts)])
    contacts = {c.account_id: c for c in Contact.objects.all()}
    Opportunity.objects.bulk_create([
        Opportunity(external_id=f"BO{i:07d}", account=a, owner=rep, pipeline=pipeline, stage=first_stage, name=f"商机{i}", created_at=sent)
        for i, a in enumerate(accounts)
    ])
    deals = {o.account_id: o for o in Opportunity.objects.all()}
    pdf = b"%PDF-1.4\n" + b"%" + b"x" * 2000 + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    quote = document_store(file=io.BytesIO(pdf), name="报价单.pdf", kind=Document.Kind.QUOTE, uploaded_by=rep, now=sent, account=accounts[0])
    rows = []
    for i in range(links):
        account = accounts[i % len(accounts)]
        rows.append(TrackedLink(
            external_id=f"BTL{i:07d}", kind=TrackedLink.Kind.DOCUMENT, label="报价单.pdf", document=quote, account=account,
            contact=contacts[account.pk], opportunity=deals[account.pk], created_by=rep, created_at=sent,
        ))
    TrackedLink.objects.bulk_create(rows, batch_size=2000)
    tokens = [token_for(pk) for pk in TrackedLink.objects.order_by("pk").values_list("pk", flat=True)]
    paths = [f"/t/{t}.gif" for t in tokens] + [f"/t/{t}" for t in tokens]
    random.Random(1).shuffle(paths)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()
    return {"paths": paths, "document_bytes": len(pdf), "setup_seconds": round(time.perf_counter() - started, 1)}


def profile(paths: list[str], *, hits: int = 2000) -> dict[str, Any]:
    """CPU µs per hit in-process: the WSGI fast path vs the same answer through Django's middleware and view."""
    from django.core.wsgi import get_wsgi_application
    from django.test import Client

    from xiaoguan.tracking.wsgi import tracking_fast_path

    app = tracking_fast_path(get_wsgi_application())

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        assert status.startswith("200"), status

    def fast(path: str) -> None:
        b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": path, "HTTP_USER_AGENT": BROWSER, "REMOTE_ADDR": "10.1.2.3",
                      "wsgi.input": None, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}, start_response))  # fmt: skip

    client = Client()

    def django(path: str) -> None:
        response = client.get(path, HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 200, response.status_code

    out: dict[str, Any] = {}
    for name, call in (("fast_path", fast), ("django_view", django)):
        sample = paths[:hits]
        for path in sample[:50]:
            call(path)
        cpu: list[float] = []
        for path in sample:
            t0 = time.process_time()
            call(path)
            cpu.append((time.process_time() - t0) * 1e6)
        out[name] = {"cpu_p50_us": round(median(cpu), 0), "cpu_p99_us": round(percentile(cpu, 99), 0), "hits": len(sample)}
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gunicorn(config: str) -> tuple[int, str, str]:
    if config.startswith("gthread:"):
        workers, _, threads = config.removeprefix("gthread:").partition("x")
        return int(workers), f"--worker-class gthread --threads {int(threads or 4)}", f"gthread {workers}x{threads or 4}"
    return int(config), "", f"sync {config}"


def _rows_written() -> int:
    from django.db import connection

    from xiaoguan.engagement.models import TouchEvent
    from xiaoguan.tracking.models import TrackingHit

    count = TouchEvent.objects.exclude(kind=TouchEvent.Kind.SENT).count() + TrackingHit.objects.count()
    connection.close()
    return count


def _wrk(*, wrk: str, port: int, seconds: float, connections: int, threads: int, script: str, paths_file: str) -> dict[str, Any]:
    env = {**os.environ, "XG_TRACKING_PATHS": paths_file, "XG_TRACKING_AGENT": BROWSER}
    result = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "5s", "--latency", "-s", script, f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=False,
    )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("JSON:")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout[-1500:]} {result.stderr[-1500:]}")
    figures: dict[str, Any] = json.loads(line.removeprefix("JSON:"))
    return figures


def serve_and_load(*, config: str, paths_file: str, script: str, seconds: float, connections: int, threads: int, wrk: str, stderr: TextIO) -> dict[str, Any]:
    workers, gunicorn_args, label = _gunicorn(config)
    port = _free_port()
    env = {**os.environ, "XIAOGUAN_DEBUG": "0", "XIAOGUAN_LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1"}
    if gunicorn_args:
        env["GUNICORN_CMD_ARGS"] = gunicorn_args
    log = tempfile.NamedTemporaryFile(prefix="bench-tracking-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "xiaoguan.cli", "serve", "--no-worker", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, process_group=0,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"xiaoguan serve exited ({proc.returncode}): {Path(log.name).read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("xiaoguan serve is not answering") from None
                time.sleep(0.2)
        print(f"bench tracking: {label}: warm-up 3 s", file=stderr, flush=True)
        _wrk(wrk=wrk, port=port, seconds=3, connections=connections, threads=threads, script=script, paths_file=paths_file)
        before = _rows_written()
        load_before = os.getloadavg()[0]
        print(f"bench tracking: {label}: {seconds:.0f} s, {connections} connections", file=stderr, flush=True)
        figures = _wrk(wrk=wrk, port=port, seconds=seconds, connections=connections, threads=threads, script=script, paths_file=paths_file)
        load_after = os.getloadavg()[0]
        written = _rows_written() - before
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        Path(log.name).unlink(missing_ok=True)
    rps = figures["requests"] / (figures["duration_us"] / 1e6)
    p99_ms = figures["p99_us"] / 1000
    errors = sum(v for k, v in figures.items() if k.startswith("errors_"))
    return {
        "config": label, "connections": connections, "requests": figures["requests"], "rps": round(rps, 1),
        "p50_ms": round(figures["p50_us"] / 1000, 2), "p90_ms": round(figures["p90_us"] / 1000, 2), "p99_ms": round(p99_ms, 2),
        "max_ms": round(figures["max_us"] / 1000, 1), "errors": errors, "non_2xx": figures["errors_status"],
        "rows_written": written, "rows_per_request": round(written / max(figures["requests"], 1), 3),
        "load_avg_1m": [round(load_before, 2), round(load_after, 2)],
        "target_met": rps >= TARGET_RPS and p99_ms < TARGET_P99_MS and errors == 0,
    }


def measure(*, size: str, links: int, seconds: float, connections: int, wrk_threads: int, configs: list[str], wrk: str, stderr: TextIO) -> dict[str, Any]:
    from django.db import connection

    vendor = connection.vendor
    print(f"bench tracking: {links:,} links on {vendor}", file=stderr, flush=True)
    prepared = setup(links=links, stderr=stderr)
    paths: list[str] = prepared.pop("paths")
    figures: dict[str, Any] = {"database": vendor, "size": size, "links": links, **prepared}
    figures["profile"] = profile(paths)
    if not wrk:
        figures["error"] = "wrk is not installed: apt-get install -y wrk"
        figures["target_met"] = False
        return figures
    work = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
    try:
        (work / "paths.txt").write_text("\n".join(paths) + "\n")
        (work / "hits.lua").write_text(WRK_SCRIPT)
        load = {"paths_file": str(work / "paths.txt"), "script": str(work / "hits.lua"), "seconds": seconds, "connections": connections,
                "threads": wrk_threads, "wrk": wrk, "stderr": stderr}  # fmt: skip
        runs = [serve_and_load(config=config, **load) for config in configs]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["runs"] = runs
    best = max(runs, key=lambda r: r["rps"] if r["target_met"] else r["rps"] / 1000)
    figures["best"] = best["config"]
    figures["target"] = {"rps": TARGET_RPS, "p99_ms": TARGET_P99_MS}
    figures["target_met"] = any(r["target_met"] for r in runs)
    return figures


if __name__ == "__main__":
    child_main(measure)
