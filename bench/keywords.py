"""`xiaoguan bench keywords [--size small|full|N] [--keep]`: keyword-evidence scanning throughput.

Fills a throwaway database (bench/_generate.py: N activities with the generator's Chinese content — openers, topics,
next steps, competitor names — on accounts, deals and leads), then measures twice:
- scan: the compiled Aho-Corasick matcher over every activity's text already in memory (NFKC / traditional / space
  folding and the offset map included) — the cost of the matching itself;
- end to end: `activities_evidence_scan` over the whole table — read from the database, scan, write one
  ActivityEvidence row per (activity, dictionary) hit, advance `evidence_seen` on the deals — what
  `xiaoguan evidence_scan` does after an import.

Target (issue 5): ≥ 20,000 activities/s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _child import child_main, run_on_fresh_database
from _common import median

TARGET_PER_S = 20_000
SIZES = {"small": 100_000, "full": 1_000_000}


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    size = size or "full"
    activities = int(size) if size.isdigit() else SIZES.get(size)
    if activities is None:
        raise ValueError(f"--size: small, full or a number of activities, not {size!r}")
    return run_on_fresh_database(Path(__file__), "keywords", {"size": size, "activities": activities, "trials": 3}, keep=keep, stderr=stderr)


def measure(*, size: str, activities: int, trials: int, stderr: TextIO) -> dict[str, Any]:
    from datetime import UTC, datetime

    from _generate import generate
    from django.db import connection

    from xiaoguan.activities.models import Activity
    from xiaoguan.evidence.models import ActivityEvidence
    from xiaoguan.evidence.selectors import keyword_matcher
    from xiaoguan.evidence.services import activities_evidence_scan
    from xiaoguan.opportunities.models import Opportunity

    now = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
    generated = generate(leads=max(1000, activities // 3), activities=activities, seed=5, stderr=stderr, now=now)
    matcher = keyword_matcher()
    texts = list(Activity.objects.values_list("content", flat=True))
    print(f"keywords: {len(texts):,} activities, {sum(map(len, texts)) / max(1, len(texts)):.0f} characters on average", file=stderr, flush=True)

    scan_times, hits = [], 0
    for trial in range(trials):
        started = time.perf_counter()
        hits = sum(len(matcher.scan(text).hits) for text in texts)
        scan_times.append(time.perf_counter() - started)
        print(f"scan {trial + 1}: {len(texts) / scan_times[-1]:,.0f} activities/s ({hits:,} hits)", file=stderr, flush=True)

    started = time.perf_counter()
    summary = activities_evidence_scan(activities=Activity.objects.all(), now=now)
    end_to_end = time.perf_counter() - started
    print(f"end to end: {summary.scanned:,} in {end_to_end:.1f} s = {summary.scanned / end_to_end:,.0f}/s", file=stderr, flush=True)
    # A second run finds every pair tagged already: the cost of re-running after a small import.
    started = time.perf_counter()
    activities_evidence_scan(activities=Activity.objects.all(), now=now)
    rerun = time.perf_counter() - started

    scan_rate = len(texts) / median(scan_times)
    e2e_rate = summary.scanned / end_to_end
    return {
        "benchmark": "keywords",
        "database": connection.vendor,
        "size": size,
        "activities": len(texts),
        "dictionaries": len(matcher.dictionaries),
        "hits": hits,
        "scan_per_s_median": round(scan_rate),
        "scans_s": [round(t, 3) for t in scan_times],
        "end_to_end_s": round(end_to_end, 2),
        "end_to_end_per_s": round(e2e_rate),
        "rerun_s": round(rerun, 2),
        "tagged_activities": summary.tagged,
        "evidence_rows": ActivityEvidence.objects.count(),
        "opportunities_advanced": summary.opportunities_advanced,
        "deals_with_evidence": Opportunity.objects.exclude(evidence_seen={}).count(),
        "target_per_s": TARGET_PER_S,
        "target_met": scan_rate >= TARGET_PER_S and e2e_rate >= TARGET_PER_S,
        "generate_seconds": generated["total_seconds"],
    }


if __name__ == "__main__":
    child_main(measure)
