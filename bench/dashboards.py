"""`xiaoguan bench dashboards [--size small|medium|full|N] [--keep]`: server time of every cockpit (驾驶舱) page.

Fills a throwaway database with the big organisation (bench/_generate.py: 45 reps in 6 regions; at full size 1M leads,
3M activities, 100k deals with their stage history), adds quarterly targets (each rep's, and the region's own for half
the regions: the heatmap needs them and the generator writes none), then, in a child process, times each page of
`PAGES` with Django's test client (force_login, the whole middleware stack and the templates, no network) as the
director and as a regional manager. First the worker's warm-up job runs (insights/warm.py; `XIAOGUAN_BENCH_WARMUP=0`
skips it) and the process's own caches are dropped, as a web process has none. Each page: the first request alone
(`cold_ms`), a few warm-ups, then N timed requests; p50/p95/max in ms. Target (issue 6): p95 < 500 ms per page.

The default size is `small` (50k leads, a quick check); `--size full` is the issue's 1M-lead database.
Another engineer's page joins by appending a line to `PAGES`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _child import child_main, run_on_fresh_database
from _common import percentile

# (name, URL, who: "director" | "manager", a text the page must contain). `{rep}` in a URL becomes a rep of the
# manager's region. The completion probabilities of the heatmap run the forecast (seconds, cached for 30 minutes):
# their first request is `cold_ms`, the timed ones hit the cache.
PAGES: list[tuple[str, str, str, str]] = [
    ("cockpit", "/insights/", "director", "驾驶舱"),
    ("cockpit_manager", "/insights/", "manager", "驾驶舱"),
    ("funnel", "/insights/funnel/", "director", "阶段漏斗"),
    ("funnel_manager", "/insights/funnel/", "manager", "阶段漏斗"),
    ("funnel_year", "/insights/funnel/?period=year", "director", "阶段漏斗"),
    ("dwell", "/insights/dwell/", "director", "阶段停留"),
    ("dwell_manager", "/insights/dwell/", "manager", "阶段停留"),
    ("dwell_year", "/insights/dwell/?period=year", "director", "阶段停留"),
    ("heatmap", "/insights/heatmap/", "director", "目标达成率"),
    ("heatmap_manager", "/insights/heatmap/", "manager", "目标达成率"),
    ("heatmap_chances", "/insights/heatmap/chances/", "director", "完成概率"),
    ("heatmap_chances_manager", "/insights/heatmap/chances/", "manager", "完成概率"),
    ("behaviour", "/insights/behaviour/", "director", "行为与转化"),
    ("behaviour_manager", "/insights/behaviour/", "manager", "行为与转化"),
    ("behaviour_year", "/insights/behaviour/?period=year", "director", "行为与转化"),
    ("health", "/insights/health/", "director", "过程健康诊断"),
    ("health_manager", "/insights/health/", "manager", "过程健康诊断"),
    ("customers", "/insights/customers/", "director", "客户健康度"),
    ("customers_manager", "/insights/customers/", "manager", "客户健康度"),
    ("efficiency", "/insights/efficiency/", "director", "商机推进效率"),
    ("efficiency_manager", "/insights/efficiency/", "manager", "商机推进效率"),
    ("drill_behaviour", "/insights/drill/?drill=behaviour&behaviour=all", "director", "全部已关闭商机"),
    ("radar_all", "/insights/radar/", "director", "销售能力雷达"),
    ("radar_manager", "/insights/radar/", "manager", "销售能力雷达"),
    ("radar_rep", "/insights/radar/?rep={rep}", "manager", "销售能力雷达"),
    ("drill_funnel", "/insights/drill/?drill=won", "director", "本期赢单"),
    ("forecast", "/insights/forecast/", "director", "预测准确度"),
    ("forecast_manager", "/insights/forecast/", "manager", "预测准确度"),
    ("forecast_current", "/insights/forecast/current/", "director", "本季度预测落地"),
    ("forecast_current_manager", "/insights/forecast/current/", "manager", "本季度预测落地"),
    ("brief", "/insights/brief/", "director", "卡点阶段"),
    ("brief_manager", "/insights/brief/", "manager", "卡点阶段"),
]

TARGET_P95_MS = 500.0
SIZES: dict[str, dict[str, int]] = {
    "small": {"leads": 50_000, "activities": 150_000},
    "medium": {"leads": 250_000, "activities": 750_000},
    "full": {"leads": 1_000_000, "activities": 3_000_000},
}


def _params(size: str | None) -> dict[str, Any]:
    size = size or "small"
    if size.isdigit():
        sizes = {"leads": int(size), "activities": 3 * int(size)}
    elif size in SIZES:
        sizes = SIZES[size]
    else:
        raise ValueError(f"--size: small, medium, full or a number of leads, not {size!r}")
    requests = int(os.environ.get("XIAOGUAN_BENCH_REQUESTS", "20"))
    return {"size": size, **sizes, "reps": 45, "seed": 1, "requests": requests, "warmup": 2}


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    return run_on_fresh_database(Path(__file__), "dashboards", _params(size), keep=keep, stderr=stderr)


# ------------------------------------------------------------------------------------------------ in the child


def add_targets(*, stderr: TextIO) -> int:
    """Quarterly targets for this quarter and the last: each rep's own (110 % of their average quarter of the last
    year, in round ten-thousands), and a region target for every other region (the sum of its reps')."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db.models import Sum

    from xiaoguan.core.clock import clock_today, day_start
    from xiaoguan.opportunities.models import Opportunity
    from xiaoguan.org.models import Role, Team, User
    from xiaoguan.targets.models import Target

    today = clock_today()
    year_ago = day_start(today - timedelta(days=365))
    won = dict(
        Opportunity.objects.filter(status="won", closed_at__gte=year_ago).order_by().values("owner_id")
        .annotate(total=Sum("amount")).values_list("owner_id", "total")
    )  # fmt: skip
    this_q = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    last_day = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1) - timedelta(days=1)  # the day before this quarter
    last_q = f"{last_day.year}-Q{(last_day.month - 1) // 3 + 1}"
    rows = []
    per_region: dict[int, Decimal] = {}
    for rep in User.objects.filter(role=Role.REP).select_related("team"):
        amount = Decimal(round(float(won.get(rep.pk) or 0) / 4 * 1.1, -4))
        for period in {this_q, last_q}:
            rows.append(Target(period=period, scope_kind="user", user=rep, amount=amount,
                               external_id=Target.key_for(period=period, scope_kind="user", scope_id=rep.external_id, product_line="")))
        region = rep.team.region() if rep.team else None
        if region is not None:
            per_region[region.pk] = per_region.get(region.pk, Decimal(0)) + amount
    for i, region in enumerate(Team.objects.filter(pk__in=per_region).order_by("path")):
        if i % 2 == 0:
            for period in {this_q, last_q}:
                rows.append(Target(period=period, scope_kind="team", team=region, amount=per_region[region.pk],
                                   external_id=Target.key_for(period=period, scope_kind="team", scope_id=region.external_id, product_line="")))
    Target.objects.bulk_create(rows)
    print(f"targets: {len(rows)} for {sorted({this_q, last_q})}", file=stderr, flush=True)
    return len(rows)


def measure(
    *, size: str, leads: int, activities: int, reps: int, seed: int, requests: int, warmup: int, stderr: TextIO
) -> dict[str, Any]:
    from _generate import generate

    generated = generate(leads=leads, activities=activities, reps=reps, seed=seed, stderr=stderr)
    targets = add_targets(stderr=stderr)
    timed = time_pages(requests=requests, warmup=warmup, stderr=stderr)
    return {
        "benchmark": "dashboards",
        "size": size,
        **timed,
        "targets": targets,
        "rows": generated["rows"],
        "generate_seconds": generated["total_seconds"],
    }


def time_pages(*, requests: int, warmup: int, stderr: TextIO) -> dict[str, Any]:
    """Time every page of PAGES on the current database (also usable on one kept with --keep)."""
    from django.db import close_old_connections, connection
    from django.test import Client

    from xiaoguan.core.process_cache import process_caches_clear
    from xiaoguan.org.models import Role, User

    director = User.objects.filter(role=Role.DIRECTOR).order_by("pk")[0]
    manager = User.objects.select_related("team").filter(role=Role.MANAGER).order_by("pk")[0]
    rep = User.objects.filter(role=Role.REP, team__path__startswith=manager.team.path).order_by("pk")[0]  # type: ignore[union-attr]
    clients = {"director": Client(), "manager": Client()}
    clients["director"].force_login(director)
    clients["manager"].force_login(manager)
    print(f"database: {connection.vendor}; director {director.email}, manager {manager.email} ({manager.team}), rep {rep.name}",
          file=stderr, flush=True)  # fmt: skip

    results: dict[str, Any] = {}
    load_before = os.getloadavg()[0]
    process_caches_clear()
    close_old_connections()
    warm: dict[str, Any] = {}
    if os.environ.get("XIAOGUAN_BENCH_WARMUP", "1") != "0":
        # What the worker does every 10 minutes (insights/warm.py); then this process forgets its own copies, as a web
        # process would have none: `cold_ms` is then the first view of a page after the warm-up.
        from xiaoguan.core import process_cache
        from xiaoguan.core.clock import clock_now
        from xiaoguan.insights.warm import cockpit_warm

        started = time.perf_counter()
        pieces = cockpit_warm(now=clock_now())
        warm = {"warm_up_s": round(time.perf_counter() - started, 1), "warm_up_pieces_s": pieces}
        print(f"warm-up (the worker's job): {warm['warm_up_s']} s {pieces}", file=stderr, flush=True)
        for cache in process_cache._all:
            cache.clear()
    for name, url_pattern, who, expect in PAGES:
        url = url_pattern.replace("{rep}", rep.external_id)
        client = clients[who]

        def get(url: str = url, client: Client = client, expect: str = expect) -> float:
            started = time.perf_counter()
            response = client.get(url)
            ms = (time.perf_counter() - started) * 1000
            body = response.content.decode()
            assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
            assert expect in body, f"{url}: {expect!r} not in the page"
            close_old_connections()  # what the WSGI handler does at the end of a request
            return ms

        cold = get()
        for _ in range(warmup):
            get()
        samples = [get() for _ in range(requests)]
        p50, p95 = percentile(samples, 50), percentile(samples, 95)
        results[name] = {
            "url": url, "who": who, "requests": requests, "cold_ms": round(cold, 1), "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1), "max_ms": round(max(samples), 1), "target_met": p95 < TARGET_P95_MS,
        }  # fmt: skip
        print(f"{name:<26} {who:<8} cold {cold:8.1f} ms  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {max(samples):7.1f} ms",
              file=stderr, flush=True)  # fmt: skip
    return {
        "database": connection.vendor,
        "target_p95_ms": TARGET_P95_MS,
        "target_met": all(r["target_met"] for r in results.values()),
        "pages": results,
        **warm,
        # Other work on the machine inflates wall times.
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


if __name__ == "__main__":
    child_main(measure)
