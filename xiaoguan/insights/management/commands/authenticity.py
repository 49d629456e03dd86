"""`xiaoguan authenticity --as-of D --json`: every activity recorded before D scored; the doubtful ones with reasons."""

from __future__ import annotations

import json
from datetime import time
from typing import Any

from django.core.management.base import CommandParser

from xiaoguan.core.clock import org_tz
from xiaoguan.core.commands import AsOfCommand
from xiaoguan.insights.authenticity import THRESHOLD, authenticity_report


class Command(AsOfCommand):
    help = "评估 --as-of 之前录入的每条跟进记录的真实性，列出可能未发生的记录及原因；--json 按 spec/cli.md 输出。"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--json", action="store_true", help="在标准输出打印 JSON（spec/cli.md）")
        parser.add_argument("--threshold", type=float, default=THRESHOLD, help=f"标记阈值（0–1，默认 {THRESHOLD}）")
        parser.add_argument("--database", default="default", help="Django 数据库别名（默认 default）")

    def handle(self, *args: Any, **options: Any) -> None:
        now = self.now()
        report = authenticity_report(as_of=now, database=options["database"], threshold=options["threshold"])
        local = now.astimezone(org_tz())
        # "--as-of 2025-10-01" comes back as given: a day when the instant is the day's start, else the instant.
        as_of_text = local.date().isoformat() if local.time() == time(0) else local.isoformat()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(as_of_text=as_of_text), ensure_ascii=False))
            return
        total = sum(r.activities for r in report.by_rep.values())
        self.stdout.write(f"{as_of_text}: {total} 条记录，{len(report.flagged)} 条可能未发生")
        for f in report.flagged[:50]:
            self.stdout.write(f"{f.activity_id}\t{f.score:.2f}\t{'；'.join(f.reasons)}")
