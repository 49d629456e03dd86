"""`xiaoguan geo_regions_learn`: set each province's (and a disagreeing city's) region from existing leads and accounts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xiaoguan.geo.services import regions_learn


class Command(BaseCommand):
    help = "从现有线索和客户推断各省份/城市所属大区（管理员设置的不变）；输出 JSON 摘要"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unresolved", type=int, default=20, help="列出多少个无法识别的城市写法（默认 20）")

    def handle(self, *args: Any, **options: Any) -> None:
        report = regions_learn()
        self.stdout.write(json.dumps({
            "records": report.records,
            "provinces_set": report.provinces_set,
            "cities_set": report.cities_set,
            "cities_cleared": report.cities_cleared,
            "kept_admin": report.kept_admin,
            "unresolved": dict(report.unresolved.most_common(options["unresolved"])),
        }, ensure_ascii=False))
