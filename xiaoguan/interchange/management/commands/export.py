"""`xiaoguan export DIR`: write the database as a folder of the interchange format (spec/cli.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xiaoguan.interchange.exporter import ExportRefusedError, interchange_export


class Command(BaseCommand):
    help = "把数据导出为 CSV 文件夹（导入格式，见 spec/interchange.md）。DIR 必须为空或不存在。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="导出到的文件夹（空或不存在）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = interchange_export(folder=Path(options["folder"]))
        except ExportRefusedError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if options["verbosity"] >= 1:
            self.stderr.write("导出完成：" + "，".join(f"{name} {count}" for name, count in counts.items()))
