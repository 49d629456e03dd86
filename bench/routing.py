"""`xiaoguan bench routing [--size N] [--keep]`: bulk routing of N (default 20,000) unassigned leads to 10 reps.

The issue's target: 20,000 unassigned leads routed to 10 reps (caps raised so all fit; reasons recorded) in < 5 s.

In a child process on a throwaway database (bench/README.md): one company, two regions, 10 reps in 华东 (caps raised
to N so every lead fits), a rule set of 6 rules in which the last one matches — five earlier rules on other
industries, sources and budgets are evaluated and rejected for every lead, as in a real configuration — and N
unassigned leads from 12 cities, 8 industries and every source. Timed: one `leads_route_bulk(leads=all, now=...)`
call, from the first query to the commit: reading rules and reps, deciding in memory, `lead_assign_bulk` (owners,
LeadAssignment rows with rule/version/reason/details, SLA timers, one summary notification per rep), cursors and
queue reasons. Checked afterwards: every lead has an owner and a LeadAssignment with a non-empty reason, and the
spread over the 10 reps is even (round-robin).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _child import child_main, run_on_fresh_database

TARGET_SECONDS = 5.0
REPS = 10
CITIES = ["苏州", "无锡", "南京", "上海", "杭州", "宁波", "合肥", "常州", "南通", "嘉兴", "绍兴", "温州"]
INDUSTRIES = ["制造业", "医疗", "教育", "零售", "物流", "能源", "金融", "建筑"]


def _params(size: str | None) -> dict[str, Any]:
    if size is None or size in ("full", "default"):
        return {"leads": 20_000}
    if size == "small":
        return {"leads": 2_000}
    if size.isdigit():
        return {"leads": int(size)}
    raise ValueError(f"--size: small, full or a number of leads, not {size!r}")


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    params = _params(size)
    return run_on_fresh_database(Path(__file__), "routing", params, keep=keep, stderr=stderr)


# ------------------------------------------------------------------------------------------------ in the child


def _setup(*, leads: int, now: Any, stderr: TextIO) -> None:
    from django.db import transaction

    from xiaoguan.leads.models import Lead
    from xiaoguan.org.models import Role, Team, User, team_paths_rebuild
    from xiaoguan.routing.models import RepCapacity
    from xiaoguan.routing.services import rule_create

    rng = random.Random(1)
    with transaction.atomic():
        company = Team.objects.create(name="基准公司", kind=Team.Kind.COMPANY, external_id="BT01")
        east = Team.objects.create(name="华东大区", kind=Team.Kind.REGION, parent=company, external_id="BT02")
        west = Team.objects.create(name="华西大区", kind=Team.Kind.REGION, parent=company, external_id="BT03")
        team_paths_rebuild()
        east.refresh_from_db()
        director = User.objects.create_user("director@bench.example", name="总监", role=Role.DIRECTOR, team=company, external_id="BU000")
        reps = [
            User.objects.create_user(f"rep{i:02d}@bench.example", name=f"销售{i:02d}", role=Role.REP, team=east, external_id=f"BU{i:03d}")
            for i in range(1, REPS + 1)
        ]
        User.objects.create_user("west@bench.example", name="西部销售", role=Role.REP, team=west, external_id="BU900")
        RepCapacity.objects.bulk_create([RepCapacity(user=rep, daily_cap=leads) for rep in reps])
        values: list[dict[str, Any]] = [
            {"name": "金融大客户", "target_team": west, "conditions": {"industries": ["金融"], "budget_min": "50000000"}},
            {"name": "能源-决策链完整", "target_team": west, "conditions": {"industries": ["能源"], "decision_chain": "incomplete", "sources": ["event"]}},
            {"name": "西部城市", "target_team": west, "conditions": {"cities": ["成都", "重庆", "西安"]}},
            {"name": "超大型企业", "target_team": west, "conditions": {"company_sizes": ["1000+"], "budget_min": "90000000"}},
            {"name": "转介绍", "target_team": west, "conditions": {"sources": ["referral"], "industries": ["建筑"], "budget_max": "1"}},
            {"name": "华东-全部", "target_team": east, "conditions": {"regions": [east.pk]}},
        ]
        for value in values:
            rule_create(by=director, now=now, values={**value, "strategy": "round_robin"})
    sources = [s for s, _label in Lead.Source.choices]
    batch = []
    for i in range(leads):
        batch.append(Lead(
            external_id=f"BL{i:07d}", created_at=now - timedelta(minutes=leads - i), source=rng.choice(sources),
            name=f"联系人{i}", company=f"基准客户{i}有限公司", phone=f"138{i:08d}", industry=rng.choice(INDUSTRIES),
            region=east, city=rng.choice(CITIES), company_size=rng.choice(["", "1-49", "50-199", "200-999", "1000+"]),
            budget=Decimal(rng.randrange(0, 2_000_000, 1000)), status=Lead.Status.NEW,
        ))
    Lead.objects.bulk_create(batch, batch_size=2000)
    print(f"bench routing: {leads} unassigned leads, {REPS} reps, {len(values)} rules", file=stderr, flush=True)


def measure(*, leads: int, stderr: TextIO) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count

    from xiaoguan.core.clock import clock_now
    from xiaoguan.leads.models import Lead, LeadAssignment
    from xiaoguan.routing.services import leads_route_bulk

    now = clock_now()
    _setup(leads=leads, now=now, stderr=stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # Time lead_assign_bulk (the leads app's set-based write) apart from routing's own reads and decisions.
    from xiaoguan.leads import services as lead_services

    assign_bulk = lead_services.lead_assign_bulk
    assign_seconds = 0.0

    def timed_assign_bulk(**kwargs: Any) -> int:
        nonlocal assign_seconds
        t0 = time.perf_counter()
        try:
            return assign_bulk(**kwargs)
        finally:
            assign_seconds += time.perf_counter() - t0

    lead_services.lead_assign_bulk = timed_assign_bulk  # type: ignore[assignment]
    started = time.perf_counter()
    cpu_started = time.process_time()
    summary = leads_route_bulk(leads=Lead.objects.all(), now=now)
    seconds = time.perf_counter() - started
    lead_services.lead_assign_bulk = assign_bulk  # type: ignore[assignment]
    cpu = time.process_time() - cpu_started
    per_rep = sorted(Lead.objects.filter(owner__isnull=False).values("owner_id").annotate(n=Count("pk")).values_list("n", flat=True))
    logged = LeadAssignment.objects.filter(kind="routed").exclude(reason="").count()
    ok = summary.routed == leads and logged == leads and Lead.objects.filter(owner__isnull=True).count() == 0
    print(f"bench routing: {summary.routed} routed in {seconds:.2f} s ({connection.vendor})", file=stderr, flush=True)
    return {
        "benchmark": "routing", "database": connection.vendor, "leads": leads, "reps": REPS, "rules": 6,
        "seconds": round(seconds, 3), "lead_assign_bulk_seconds": round(assign_seconds, 3),
        "routing_own_seconds": round(seconds - assign_seconds, 3), "cpu_seconds": round(cpu, 3), "per_s": round(leads / seconds) if seconds else None,
        "routed": summary.routed, "unrouted": summary.unrouted, "reasons_recorded": logged,
        "per_rep_min": per_rep[0] if per_rep else 0, "per_rep_max": per_rep[-1] if per_rep else 0,
        "correct": ok, "target_seconds": TARGET_SECONDS, "target_met": ok and seconds < TARGET_SECONDS,
    }


if __name__ == "__main__":
    child_main(measure)
