"""Drop every table of the configured PostgreSQL database (benchmarks only; refuses on SQLite)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "清空 PostgreSQL 的 public schema（仅供基准测试的临时数据库使用）。"

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("flush_schema 只用于 PostgreSQL 临时数据库", returncode=2)
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
