"""`xiaoguan compare A B`: do two interchange folders hold the same data? (exit 0 yes, 1 no)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xiaoguan.core.commands import input_problem
from xiaoguan.interchange.compare import interchange_compare


class Command(BaseCommand):
    help = "比较两个导入格式的文件夹：按编号逐行比较，数字按数值、时间按时刻、文字逐字。相同退出 0，不同退出 1 并列出差异。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("left")
        parser.add_argument("right")
        parser.add_argument("--limit", type=int, default=200, help="最多列出多少条差异（默认 200）")

    def handle(self, *args: Any, **options: Any) -> None:
        left, right = Path(options["left"]), Path(options["right"])
        for folder in (left, right):
            if not folder.is_dir():
                raise CommandError(f"{folder} 不是文件夹", returncode=2)
        differences = interchange_compare(left=left, right=right)
        for difference in differences[: options["limit"]]:
            self.stdout.write(str(difference))
        if differences:
            raise input_problem(f"有 {len(differences)} 处不同")
        if options["verbosity"] >= 1:
            self.stderr.write("两个文件夹的数据相同")
