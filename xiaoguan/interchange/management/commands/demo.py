"""`xiaoguan demo`: load the bundled sample world into an empty database, moved so its as-of day is today."""

from __future__ import annotations

from typing import Any

from xiaoguan.core.clock import clock_today
from xiaoguan.core.commands import AsOfCommand, input_problem
from xiaoguan.interchange.demo import DEMO_PASSWORD, DemoRefusedError, demo_load


class Command(AsOfCommand):
    help = (
        "向空数据库载入演示数据（示例世界，时间平移到以今天为截止日；--as-of 可指定另一天），创建管理员，"
        f"并为每个角色设置演示密码 {DEMO_PASSWORD}。stdout 每行一个账号：角色、邮箱、密码（制表符分隔）。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        today = clock_today()
        try:
            logins = demo_load(today=today)
        except DemoRefusedError as exc:
            raise input_problem(exc.message) from exc
        for login in logins:
            self.stdout.write(f"{login.role}\t{login.email}\t{login.password}")
        if options["verbosity"] >= 1:
            self.stderr.write(f"演示数据已载入（截止日 {today.isoformat()}）。用上面的邮箱和密码 {DEMO_PASSWORD} 登录。")
