"""`xiaoguan sweep [--as-of T]`: act once on everything due (timers, periodic jobs, deliveries); JSON summary on stdout."""

from __future__ import annotations

import json
from typing import Any

from xiaoguan.automation.sweep import sweep_run
from xiaoguan.core.commands import AsOfCommand


class Command(AsOfCommand):
    help = "运行一次到期的定时器、周期任务和待重试的投递（幂等，可重复运行）。--as-of 回放某一时刻。"

    def handle(self, *args: Any, **options: Any) -> None:
        now = self.now()
        report = sweep_run(now=now)
        self.stdout.write(json.dumps({"as_of": now.isoformat(), **report.as_dict()}, ensure_ascii=False))
