"""`xiaoguan evidence_scan [--as-of T] [--alerts]`: tag activities recorded before T with keyword evidence, set-wise.

Run after an import (an import is history: it scans nothing itself) or after a dictionary change. JSON summary on
stdout; already tagged (activity, dictionary) pairs stay as they are, so it is safe to run twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandParser

from xiaoguan.activities.models import Activity
from xiaoguan.core.commands import AsOfCommand
from xiaoguan.evidence.services import activities_evidence_scan


class Command(AsOfCommand):
    help = "扫描跟进记录中的关键词（报价、合同、三方比价、竞品 …），标记为阶段证据并更新商机的“已见证据”。默认不发提醒。"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--alerts", action="store_true", help="报价谈判阶段出现竞品与价格时提醒区域经理（默认不提醒：导入的是历史）")

    def handle(self, *args: Any, **options: Any) -> None:
        now = self.now()
        started = time.perf_counter()
        summary = activities_evidence_scan(activities=Activity.objects.filter(recorded_at__lt=now), now=now, alerts=options["alerts"])
        seconds = time.perf_counter() - started
        self.stderr.write(f"scanned {summary.scanned} activities in {seconds:.1f} s")
        self.stdout.write(json.dumps({"as_of": now.isoformat(), **asdict(summary), "seconds": round(seconds, 2)}, ensure_ascii=False))
