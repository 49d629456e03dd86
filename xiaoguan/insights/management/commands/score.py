"""`xiaoguan score --as-of D [--until E] --csv`: P(won by E) for every deal open at D, with its top reasons."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from django.core.management.base import CommandError, CommandParser

from xiaoguan.core.clock import day_start
from xiaoguan.core.commands import AsOfCommand
from xiaoguan.insights.selectors import opportunity_external_ids
from xiaoguan.insights.winprob import DEFAULT_HORIZON_DAYS, win_scores


class Command(AsOfCommand):
    help = f"为 --as-of 时仍在进行的每个商机计算到 --until（默认 +{DEFAULT_HORIZON_DAYS} 天）赢单的概率及主要原因；--csv 按 spec/cli.md 输出。"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--until", default=None, help="YYYY-MM-DD：包含这一整天")
        parser.add_argument("--csv", action="store_true", help="在标准输出打印 CSV（spec/cli.md）")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = self.now()
        until = None
        if options["until"]:
            try:
                until = day_start(date.fromisoformat(options["until"]) + timedelta(days=1))
            except ValueError as exc:
                raise CommandError(f"--until: {options['until']!r} 不是 YYYY-MM-DD", returncode=2) from exc
            if until <= as_of:
                raise CommandError("--until 必须不早于 --as-of 当天", returncode=2)
        scores = win_scores(as_of=as_of, until=until)
        ids = opportunity_external_ids(pks=list(scores))
        rows = sorted(((ids[pk], s) for pk, s in scores.items()), key=lambda r: r[0])
        if not options["csv"]:
            for external_id, s in rows:
                self.stdout.write(f"{external_id}\t{s.probability:.1%}\t{'；'.join(s.reasons)}")
            return
        buffer = io.StringIO()
        buffer.write("opportunity_id,probability,top_reasons\n")
        ids_and_numbers = csv.writer(buffer, lineterminator="")
        for external_id, s in rows:
            ids_and_numbers.writerow([external_id, f"{s.probability:.4f}"])
            # The reasons are always one quoted field (spec/cli.md), whatever characters they hold.
            reasons = "; ".join(s.reasons).replace('"', '""')
            buffer.write(f',"{reasons}"\n')
        self.stdout.write(buffer.getvalue(), ending="")
