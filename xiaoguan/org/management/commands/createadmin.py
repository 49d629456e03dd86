"""`xiaoguan createadmin`: the first administrator."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xiaoguan.core.errors import DomainError, ValidationFailedError
from xiaoguan.org.services import admin_create


class Command(BaseCommand):
    help = "创建第一个管理员账号。密码可来自 --password、环境变量 XIAOGUAN_ADMIN_PASSWORD 或交互输入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--password", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get("XIAOGUAN_ADMIN_PASSWORD") or getpass.getpass("密码: ")
        try:
            user = admin_create(email=options["email"], password=password, name=options["name"])
        except ValidationFailedError as exc:
            messages = "; ".join(m for ms in exc.field_errors.values() for m in ms)
            raise CommandError(f"{exc.message}: {messages}", returncode=1) from exc
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        self.stderr.write(f"已创建管理员 {user.email}")
        self.stdout.write(user.external_id)
