"""`xiaoguan bench NAME`: run a benchmark from the project's bench/ folder on a throwaway database."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

BENCH_DIR = Path(settings.PROJECT_ROOT) / "bench"


def _bench_names() -> list[str]:
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))


class Command(BaseCommand):
    help = "运行 bench/ 下的基准测试（使用独立的临时数据库，不碰你的数据）。最后一行是 JSON 结果。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="基准名称: " + ", ".join(_bench_names()))
        parser.add_argument("--size", default=None, help="规模（各基准自行解释，如 small / full 或数字）")
        parser.add_argument("--keep", action="store_true", help="保留临时数据库以便事后查看")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        path = BENCH_DIR / f"{name}.py"
        if not path.exists():
            raise CommandError(f"没有名为 {name!r} 的基准；可用: {', '.join(_bench_names())}", returncode=2)
        spec = importlib.util.spec_from_file_location(f"xiaoguan_bench_{name}", path)
        if spec is None or spec.loader is None:
            raise CommandError(f"无法加载基准 {path}")
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(BENCH_DIR))
        spec.loader.exec_module(module)
        figures: dict[str, Any] = module.run(size=options["size"], keep=options["keep"], stderr=self.stderr)
        self.stdout.write(json.dumps(figures, ensure_ascii=False, default=str))
