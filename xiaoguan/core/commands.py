"""Shared pieces of management commands: the `--as-of` option (spec/cli.md) and exit codes."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xiaoguan.core.clock import clock_frozen_at, clock_now, parse_as_of

EXIT_INPUT_PROBLEM = 1


def as_of_type(value: str) -> datetime:
    try:
        return parse_as_of(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--as-of: {value!r} 不是 YYYY-MM-DD 或带时区的 ISO 时间") from exc


class AsOfCommand(BaseCommand):
    """A command that depends on "now": `--as-of T` runs it with the clock set to T."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=as_of_type, default=None, help="YYYY-MM-DD (00:00 组织时区) 或 ISO 时间；默认现在")

    def execute(self, *args: Any, **options: Any) -> Any:
        as_of: datetime | None = options.get("as_of")
        if as_of is None:
            return super().execute(*args, **options)
        with clock_frozen_at(as_of):
            return super().execute(*args, **options)

    def now(self) -> datetime:
        return clock_now()


def input_problem(message: str) -> CommandError:
    """The command ran and found a problem in its input: exit 1 (spec/cli.md)."""
    return CommandError(message, returncode=EXIT_INPUT_PROBLEM)
