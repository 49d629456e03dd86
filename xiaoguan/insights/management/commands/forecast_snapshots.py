"""`xiaoguan forecast_snapshots --from D --to E`: the weekly forecast snapshots of past Mondays (backfill)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xiaoguan.core.clock import clock_now
from xiaoguan.core.commands import input_problem
from xiaoguan.insights.snapshots import snapshots_backfill


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} 不是 YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "补算 --from 至 --to 之间每个周一的预测快照（公司、各大区和小组，窗口为该周一至季度末）。"
        "每个快照只用该周一 00:00 之前录入的数据，与当时自动生成的一致；已有的快照跳过（--replace 重算）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", type=_day, required=True, help="起始日期 YYYY-MM-DD")
        parser.add_argument("--to", dest="last", type=_day, required=True, help="结束日期 YYYY-MM-DD（含）")
        parser.add_argument("--replace", action="store_true", help="重算并替换已有的快照")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = options["first"], options["last"]
        if first > last:
            raise input_problem("--from 晚于 --to")
        written = snapshots_backfill(first=first, last=last, now=clock_now(), replace=options["replace"])
        for week, count in written.items():
            self.stdout.write(f"{week.isoformat()}: {count}")
        self.stdout.write(f"{len(written)} 个周一，写入 {sum(written.values())} 条快照")
