"""`xiaoguan forecast --as-of D --until E --json`: contract value expected to be won in [D, E+1 day), with an 80 % interval."""

from __future__ import annotations

import json
from datetime import time, timedelta
from typing import Any

from django.core.management.base import CommandError, CommandParser

from xiaoguan.core.clock import day_start, org_tz
from xiaoguan.core.commands import AsOfCommand
from xiaoguan.insights.forecast import forecast_compute
from xiaoguan.insights.selectors import team_external_ids, user_external_ids

UNASSIGNED = "unassigned"  # deals whose owner sits in no region team


class Command(AsOfCommand):
    help = "预测 --as-of 起至 --until 当天结束可成交的合同金额（含尚未创建的商机）及 80% 区间；--json 按 spec/cli.md 输出。"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--until", required=True, help="YYYY-MM-DD：窗口包含这一整天")
        parser.add_argument("--json", action="store_true", help="在标准输出打印 JSON（spec/cli.md）")
        parser.add_argument("--samples", type=int, default=2000, help="模拟次数（默认 2000）")

    def handle(self, *args: Any, **options: Any) -> None:
        from datetime import date

        as_of = self.now()
        try:
            until_day = date.fromisoformat(options["until"])
        except ValueError as exc:
            raise CommandError(f"--until: {options['until']!r} 不是 YYYY-MM-DD", returncode=2) from exc
        until = day_start(until_day + timedelta(days=1))
        if until <= as_of:
            raise CommandError("--until 必须不早于 --as-of 当天", returncode=2)
        forecast = forecast_compute(as_of=as_of, until=until, samples=max(options["samples"], 100))
        users, teams = user_external_ids(), team_external_ids()
        by_region = {teams.get(pk, UNASSIGNED) if pk is not None else UNASSIGNED: round(v, 2) for pk, v in forecast.by_region.items()}
        local = as_of.astimezone(org_tz())
        out = {
            "as_of": local.date().isoformat() if local.time() == time(0) else local.isoformat(),
            "until": until_day.isoformat(),
            "total": round(sum(by_region.values()), 2),  # the rounded parts add up to it exactly
            "low": round(forecast.low, 2),
            "high": round(forecast.high, 2),
            "by_region": by_region,
            "by_rep": {users.get(pk, str(pk)): round(v, 2) for pk, v in sorted(forecast.by_rep.items())},
            "explain": forecast.explain,
        }
        if options["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        self.stdout.write(f"{out['as_of']} – {out['until']}: ¥{out['total']:,.2f}（80% 区间 ¥{out['low']:,.2f} – ¥{out['high']:,.2f}）")
        for line in forecast.explain:
            self.stdout.write(f"  {line}")
