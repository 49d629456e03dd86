"""`xiaoguan bench pages [--size small|medium|full|N] [--keep]`: server time of the three busiest pages on a big database.

Fills a throwaway database (bench/_generate.py: 45 reps, 1M leads, 3M activities at full size), then, in a child
process whose settings point at it, times with Django's test client (force_login, no network):

- lead_inbox    a rep's lead inbox, first page, filtered: /leads/?status=assigned        (web:lead_list)
- account_360   an account's page over a varied sample of that rep's accounts           (web:account_detail)
- team          the rep's manager's team view: /team/                                   (web:team)

Each page: a few warm-up requests, then N timed ones; p50/p95/max in ms, the number of SQL queries and their time for
one request, and whether p95 is under the target (150 ms). After each request the connection is handled as a WSGI
server would (`close_old_connections`: SQLite reconnects per request, PostgreSQL keeps it for CONN_MAX_AGE).
Until the web pages exist (`xiaoguan/web/urls.py` imports cleanly and names the three URLs) it times the same reads
through the selectors instead, and says so (`"mode": "selectors"`).
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _child import child_main, run_on_fresh_database
from _common import percentile

TARGET_P95_MS = 150.0
SIZES: dict[str, dict[str, int]] = {
    "small": {"leads": 50_000, "activities": 150_000},
    "medium": {"leads": 250_000, "activities": 750_000},
    "full": {"leads": 1_000_000, "activities": 3_000_000},
}


def _params(size: str | None) -> dict[str, Any]:
    size = size or "full"
    if size.isdigit():
        sizes = {"leads": int(size), "activities": 3 * int(size)}
    elif size in SIZES:
        sizes = SIZES[size]
    else:
        raise ValueError(f"--size: small, medium, full or a number of leads, not {size!r}")
    requests = int(os.environ.get("XIAOGUAN_BENCH_REQUESTS", "200"))
    return {"size": size, **sizes, "reps": 45, "seed": 1, "requests": requests, "warmup": 5}


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    params = _params(size)
    return run_on_fresh_database(Path(__file__), "pages", params, keep=keep, stderr=stderr)


# ------------------------------------------------------------------------------------------------ in the child


class Page:
    """One page to time. `extra` pages are reported beside the issue's three but do not count for `target_met`."""

    def __init__(self, name: str, label: str, request: Callable[[int], None], *, extra: bool = False) -> None:
        self.name, self.label, self.request, self.extra = name, label, request, extra


def _database_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            return int(pages * cursor.fetchone()[0])
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


def _pages_ready() -> str | None:
    """None when the web pages can be requested, else why not."""
    try:
        from django.urls import reverse

        for name, args in (("web:lead_list", []), ("web:account_detail", ["x"]), ("web:team", [])):
            reverse(name, args=args)
    except Exception as exc:  # noqa: BLE001 - any failure means: not ready, measure the selectors
        return f"{type(exc).__name__}: {exc}"
    return None


def _check(response: Any, *, expect: list[str], what: str) -> None:
    body = response.content.decode()
    assert response.status_code == 200, f"{what}: HTTP {response.status_code} ({response.get('Location', '')})"
    assert any(e and e in body for e in expect), f"{what}: none of {expect[:3]} in the page (login page or empty list?)"


def _http_pages(rep: Any, manager: Any, director: Any, accounts: list[Any], first_lead: Any, rep_name: str) -> list[Page]:
    from django.test import Client
    from django.urls import reverse

    rep_client, manager_client, director_client = Client(), Client(), Client()
    rep_client.force_login(rep)
    manager_client.force_login(manager)
    director_client.force_login(director)
    inbox_url = reverse("web:lead_list") + "?status=assigned"
    account_urls = [(reverse("web:account_detail", args=[a.external_id]), a.name) for a in accounts]
    team_url = reverse("web:team")

    def inbox(i: int) -> None:
        _check(rep_client.get(inbox_url), expect=[first_lead.external_id, first_lead.name, first_lead.company], what=inbox_url)

    def account(i: int) -> None:
        url, name = account_urls[i % len(account_urls)]
        _check(rep_client.get(url), expect=[name], what=url)

    def team(i: int) -> None:
        _check(manager_client.get(team_url), expect=[rep_name], what=team_url)

    def team_director(i: int) -> None:
        _check(director_client.get(team_url), expect=[rep_name], what=team_url)

    return [
        Page("lead_inbox", inbox_url, inbox),
        Page("account_360", reverse("web:account_detail", args=["EXTERNAL_ID"]).replace("EXTERNAL_ID", "<external_id>"), account),
        Page("team", team_url, team),
        Page("team_director", team_url + " (director: all reps)", team_director, extra=True),
    ]


def _selector_pages(rep: Any, manager: Any, accounts: list[Any], now: Any) -> list[Page]:
    """The same reads the pages make, through the selectors (until the pages exist)."""
    from datetime import timedelta

    from django.db.models import Count, Sum

    from xiaoguan.activities.selectors import activity_list_visible_to, activity_timeline, task_list_visible_to
    from xiaoguan.customers.selectors import account_list_visible_to, contact_list_visible_to
    from xiaoguan.leads.selectors import lead_list_visible_to, lead_search
    from xiaoguan.opportunities.selectors import opportunity_list_visible_to
    from xiaoguan.org.models import User
    from xiaoguan.org.selectors import user_reports

    def inbox(i: int) -> None:
        rows = list(lead_search(user=User.objects.get(pk=rep.pk), status="assigned")[:51])
        assert rows, "no assigned leads"

    def account(i: int) -> None:
        user = User.objects.select_related("team").get(pk=rep.pk)
        acc = account_list_visible_to(user=user).get(external_id=accounts[i % len(accounts)].external_id)
        list(contact_list_visible_to(user=user).filter(account=acc)[:100])
        list(opportunity_list_visible_to(user=user).filter(account=acc).order_by("-created_at", "-pk")[:50])
        list(activity_timeline(user=user, account=acc, limit=51))
        list(task_list_visible_to(user=user).filter(account=acc, done_at__isnull=True)[:20])

    def team(i: int) -> None:
        user = User.objects.select_related("team").get(pk=manager.pk)
        people = list(user_reports(manager=user))
        ids = [p.pk for p in people]
        list(activity_list_visible_to(user=user).filter(owner_id__in=ids, occurred_at__gte=now - timedelta(days=7))
             .order_by().values("owner").annotate(n=Count("pk")))
        list(opportunity_list_visible_to(user=user).filter(owner_id__in=ids, status="open")
             .order_by().values("owner").annotate(n=Count("pk"), total=Sum("amount")))
        list(lead_list_visible_to(user=user).filter(owner_id__in=ids, status__in=["new", "assigned"], first_contact_at__isnull=True)
             .order_by().values("owner").annotate(n=Count("pk")))

    return [Page("lead_inbox", "lead_search(status=assigned)[:51]", inbox),
            Page("account_360", "account + contacts + deals + activity_timeline + tasks", account),
            Page("team", "user_reports + 3 grouped counts", team)]


def _profile(page: Page, stderr: TextIO) -> dict[str, Any]:
    """One request with the queries captured, then each SELECT run again and timed to its last row (the logged time
    of a SQLite query stops at the first row: an aggregate does its work in the fetch). Count, SQL time, and the
    slowest statements with their plans (stderr)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        page.request(0)
    queries = [(_timed(q["sql"], float(q["time"]) * 1000), q["sql"]) for q in captured.captured_queries]
    slowest = sorted(queries, reverse=True)[:3]
    print(f"  {page.name}: {len(queries)} queries, {sum(ms for ms, _ in queries):.1f} ms SQL; slowest:", file=stderr)
    for ms, sql in slowest:
        print(f"    {ms:8.1f} ms  {_short(sql, 1500)}", file=stderr)
        plan = _explain(sql)
        if plan:
            print("      plan: " + "\n            ".join(plan), file=stderr)
    return {
        "queries": len(queries),
        "sql_ms": round(sum(ms for ms, _ in queries), 1),
        "slowest_sql_ms": round(slowest[0][0], 1) if slowest else 0.0,
        "slowest_sql": _short(slowest[0][1]) if slowest else "",
    }


def _timed(sql: str, logged_ms: float) -> float:
    """The query's time to its last row (best of two), or the logged time when it cannot be re-run."""
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return logged_ms
    best = float("inf")
    try:
        with connection.cursor() as cursor:
            for _ in range(2):
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                best = min(best, (time.perf_counter() - started) * 1000)
    except Exception:  # noqa: BLE001 - the logged SQL is not always re-runnable as is
        return logged_ms
    return best


def _short(sql: str, limit: int = 400) -> str:
    """`SELECT … FROM …`: the column list is long and says nothing about the speed."""
    at = sql.find(" FROM ")
    return (sql[:7] + "…" + sql[at:] if sql.startswith("SELECT ") and at > 0 else sql)[:limit]


def _explain(sql: str) -> list[str]:
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return []
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                return [str(row[-1]) for row in cursor.fetchall()]
            cursor.execute("EXPLAIN " + sql)
            return [str(row[0]) for row in cursor.fetchall()]
    except Exception as exc:  # noqa: BLE001 - the logged SQL is not always re-runnable; the plan is a hint only
        return [f"(no plan: {type(exc).__name__})"]


def measure(
    *, size: str, leads: int, activities: int, reps: int, seed: int, requests: int, warmup: int, stderr: TextIO
) -> dict[str, Any]:
    from _generate import generate

    generated = generate(leads=leads, activities=activities, reps=reps, seed=seed, stderr=stderr)
    timed = time_pages(seed=seed, requests=requests, warmup=warmup, stderr=stderr)
    return {
        "benchmark": "pages",
        "size": size,
        **timed,
        "rows": generated["rows"],
        "generate_seconds": generated["total_seconds"],
        "generate_rows_per_second": generated["rows_per_second"],
    }


def time_pages(*, seed: int, requests: int, warmup: int, stderr: TextIO) -> dict[str, Any]:
    """Time the pages on the current (generated) database. Also usable on a database kept with --keep."""
    from django.db import close_old_connections, connection
    from django.db.models import Count, Max

    from xiaoguan.activities.models import Activity
    from xiaoguan.customers.models import Account
    from xiaoguan.leads.selectors import lead_search
    from xiaoguan.org.models import User

    db_bytes = _database_bytes()
    print(f"database: {connection.vendor}, {db_bytes / 2**20:,.0f} MiB", file=stderr, flush=True)

    # The rep with the most accounts, their manager, the director.
    top = Account.objects.filter(owner__role="rep").values("owner").annotate(n=Count("id")).order_by("-n", "owner")[0]
    rep = User.objects.select_related("team").get(pk=top["owner"])
    assert rep.manager_id is not None, "the rep has no manager"
    manager = User.objects.select_related("team").get(pk=rep.manager_id)
    director = User.objects.select_related("team").filter(role="director").order_by("pk")[0]
    # A varied sample of the rep's accounts: the 10 with the longest timelines and 40 others.
    heavy: list[int] = [row["account"] for row in Activity.objects.filter(account__owner=rep).values("account")
             .annotate(n=Count("id")).order_by("-n", "account")[:10]]
    rest = list(Account.objects.filter(owner=rep).exclude(pk__in=heavy).order_by("pk").values_list("pk", flat=True))
    others = random.Random(seed).sample(rest, min(40, len(rest)))
    accounts = list(Account.objects.filter(pk__in=heavy + others).order_by("pk"))
    first_lead = lead_search(user=rep, status="assigned").first()
    assert first_lead is not None, "the rep has no assigned leads"
    sample = {
        "rep": rep.email, "rep_accounts": top["n"], "manager": manager.email,
        "reps_under_manager": User.objects.filter(manager=manager, role="rep").count(),
        "rep_assigned_leads": lead_search(user=rep, status="assigned").count(),
        "account_sample": len(accounts),
        "heaviest_timeline": Activity.objects.filter(account_id=heavy[0]).count() if heavy else 0,
    }
    print(f"sample: {sample}", file=stderr, flush=True)

    why_not = _pages_ready()
    if why_not is None:
        mode = "pages"
        pages = _http_pages(rep, manager, director, accounts, first_lead, rep.name)
    else:
        mode = "selectors"
        print(f"web pages not ready ({why_not}); timing the selectors instead", file=stderr, flush=True)
        now = Activity.objects.aggregate(last=Max("recorded_at"))["last"]
        pages = _selector_pages(rep, manager, accounts, now)

    results: dict[str, Any] = {}
    load_before = os.getloadavg()[0]
    close_old_connections()
    for page in pages:
        for i in range(warmup):
            page.request(i)
            close_old_connections()
        samples, cpu = [], []
        for i in range(requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            page.request(i)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            close_old_connections()  # what the WSGI handler does at the end of a request
        p50, p95 = percentile(samples, 50), percentile(samples, 95)
        results[page.name] = {
            "what": page.label,
            "requests": requests,
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(max(samples), 1),
            "cpu_p50_ms": round(percentile(cpu, 50), 1),
            "cpu_p95_ms": round(percentile(cpu, 95), 1),
            "target_met": p95 < TARGET_P95_MS,
            **({"extra": True} if page.extra else {}),
        }
        print(f"{page.name:<12} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {max(samples):7.1f} ms  "
              f"(cpu p50 {percentile(cpu, 50):.1f} ms; {requests} requests)", file=stderr, flush=True)
    print("profile (one request each):", file=stderr)
    for page in pages:
        results[page.name].update(_profile(page, stderr))

    return {
        "database": connection.vendor,
        "mode": mode,
        "target_p95_ms": TARGET_P95_MS,
        "target_met": all(r["target_met"] for r in results.values() if not r.get("extra")),
        "pages": results,
        "sample": sample,
        "db_size_mb": round(db_bytes / 2**20, 1),
        # Other work on the machine inflates wall times; cpu_* figures are this process's CPU time only.
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


if __name__ == "__main__":
    child_main(measure)
