"""The production task backend: Django's tasks interface on RQ (Redis Queue).

Enqueue puts (task path, args) on an RQ queue; any `xiaoguan worker` process (`XIAOGUAN_TASKS=rq`) on any machine
takes it, imports the task and calls it. Results are not read back: our tasks record what they did in the database.
"""

from __future__ import annotations

from typing import Any

from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import Task, TaskResult, TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from redis import Redis
from rq import Queue


def rq_run_task(module_path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """What an RQ worker executes: the task named by its import path."""
    task: Task = import_string(module_path)
    return task.call(*args, **kwargs)


class RQBackend(BaseTaskBackend):
    supports_defer = False
    supports_async_task = False
    supports_get_result = False
    supports_priority = False

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.url = params.get("OPTIONS", {}).get("url", "redis://127.0.0.1:6379/0")
        self._connection: Redis | None = None

    @property
    def connection(self) -> Redis:
        if self._connection is None:
            self._connection = Redis.from_url(self.url)
        return self._connection

    def queue(self, name: str) -> Queue:
        return Queue(name, connection=self.connection)

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        result: TaskResult = TaskResult(
            task=task, id=get_random_string(32), status=TaskResultStatus.READY, enqueued_at=timezone.now(), started_at=None,
            last_attempted_at=None, finished_at=None, args=list(args), kwargs=dict(kwargs), backend=self.alias, errors=[], worker_ids=[],
        )
        self.queue(task.queue_name).enqueue(rq_run_task, task.module_path, result.args, result.kwargs, job_id=result.id)
        return result
