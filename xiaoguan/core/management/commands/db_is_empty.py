"""`xiaoguan db_is_empty`: whether the database has no users yet (so `make run` may load the demo)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

EXIT_NOT_EMPTY = 1


class Command(BaseCommand):
    help = "数据库中还没有任何用户时退出码为 0，已有用户时为 1（供 make run 判断是否加载演示数据）。"

    def handle(self, *args: Any, **options: Any) -> None:
        if get_user_model()._default_manager.exists():
            if options["verbosity"] > 1:
                self.stderr.write("数据库中已有用户")
            raise SystemExit(EXIT_NOT_EMPTY)
        if options["verbosity"] > 1:
            self.stderr.write("数据库中还没有用户")
