"""`xiaoguan apitoken --email X [--name N]`: a new API key for a user, printed once on stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xiaoguan.core.clock import clock_now
from xiaoguan.core.commands import input_problem
from xiaoguan.org.models import User
from xiaoguan.org.services import api_token_create


class Command(BaseCommand):
    help = "为用户生成一个接口令牌 (Bearer key)，只在标准输出打印这一次；数据库只保存其哈希。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="用户的登录邮箱")
        parser.add_argument("--name", default="API", help="令牌名称，便于日后识别和吊销（默认 API）")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise input_problem(f"没有邮箱为 {email} 的用户")
        if not user.is_active:
            raise input_problem(f"用户 {email} 已停用")
        token, key = api_token_create(user=user, name=options["name"], now=clock_now())
        self.stderr.write(f"已为 {user.name} 生成令牌 {token.prefix}…（{token.name}）。请妥善保存，它不会再次显示。")
        self.stdout.write(key)
