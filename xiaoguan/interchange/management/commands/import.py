"""`xiaoguan import DIR`: load a folder of the interchange format (spec/interchange.md, spec/cli.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from xiaoguan.core.commands import AsOfCommand, input_problem
from xiaoguan.interchange.importer import interchange_import, parallel_worthwhile
from xiaoguan.interchange.sources import folder_bundle, folder_locate


class Command(AsOfCommand):
    help = (
        "导入一个 CSV 文件夹（导入格式见 spec/interchange.md）。先检查全部行，有错误则什么都不写（退出码 1）；"
        "没有错误时在一个事务中写入。同一文件夹重复导入不做任何改动。报告写到 stderr。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("folder", help="含 accounts.csv、users.csv 等文件的文件夹")
        parser.add_argument("--report", metavar="FILE.json", help="同时把报告写成 JSON 文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查并统计，不写入")
        parser.add_argument(
            "--jobs",
            type=int,
            choices=(1, 2),
            default=None,
            help="2 = 检查与写入在两个进程中同时进行（有错误时整体回滚），1 = 先检查完再写入；默认大文件夹用 2",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(f"{folder} 不是文件夹", returncode=2)
        folder = folder_locate(folder)
        bundle = folder_bundle(folder)
        if not bundle.tables and not bundle.problems:
            raise CommandError(f"{folder} 中没有可导入的文件（如 users.csv、accounts.csv）", returncode=2)
        verbose = options["verbosity"] >= 1
        parallel = options["jobs"] == 2 or (options["jobs"] is None and parallel_worthwhile(bundle))
        report = interchange_import(
            bundle=bundle, dry_run=options["dry_run"], progress_stream=self.stderr if verbose else None, parallel=parallel
        )
        if options["report"]:
            Path(options["report"]).write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        if verbose or report.errors:
            self.stderr.write(report.as_text())
        if report.errors:
            raise input_problem(report.summary())
