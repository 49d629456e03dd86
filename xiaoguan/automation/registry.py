"""What the sweep knows how to do: timer handlers, periodic jobs and notification kinds, declared in code by the apps.

Apps register from their `rules.py`, imported by their AppConfig.ready(); the rows (Timer, PeriodicJob) say when.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from xiaoguan.automation.models import Timer

# A handler gets a batch of due timers of its kind inside the sweep's transaction. For each one it acts and then
# moves it: a later `due_at` (the next step) or `None` (done). The sweep saves the rows.
TimerHandler = Callable[[Sequence["Timer"], datetime], None]
JobFunction = Callable[[datetime], str]


@dataclass(frozen=True)
class PeriodicJobSpec:
    code: str
    schedule: str
    run: JobFunction


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: str | Promise
    # Outside channels used when the person has not chosen; the bell always has every notification.
    default_channels: tuple[str, ...]


TIMER_HANDLERS: dict[str, TimerHandler] = {}
PERIODIC_JOBS: dict[str, PeriodicJobSpec] = {}
NOTIFICATION_KINDS: dict[str, NotificationKind] = {}


def timer_handler(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    def register(handler: TimerHandler) -> TimerHandler:
        if kind in TIMER_HANDLERS and TIMER_HANDLERS[kind] is not handler:
            raise ValueError(f"timer kind {kind!r} has two handlers")
        TIMER_HANDLERS[kind] = handler
        return handler

    return register


def periodic_job(code: str, *, schedule: str) -> Callable[[JobFunction], JobFunction]:
    def register(run: JobFunction) -> JobFunction:
        PERIODIC_JOBS[code] = PeriodicJobSpec(code=code, schedule=schedule, run=run)
        return run

    return register


def notification_kind(code: str, *, label: str | Promise, default_channels: Sequence[str] = ()) -> str:
    NOTIFICATION_KINDS[code] = NotificationKind(code=code, label=label, default_channels=tuple(default_channels))
    return code
