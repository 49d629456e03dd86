"""Background tasks (Django's tasks interface): thin wrappers over the services, run by `xiaoguan worker`.

Embedded profile: the database-backed queue (django-tasks-db). Production: RQ on Redis (XIAOGUAN_TASKS=rq).
"""

from __future__ import annotations

import os
import socket

from django.tasks import task

from xiaoguan.core.clock import clock_now


@task
def deliveries_send_task(*, delivery_ids: list[int]) -> int:
    """Send freshly planned deliveries now rather than at the next sweep; the sweep retries what fails."""
    from xiaoguan.automation.delivery import delivery_send_now

    return delivery_send_now(delivery_ids=delivery_ids, now=clock_now())


@task
def sweep_task() -> dict[str, object]:
    from xiaoguan.automation.sweep import sweep_run

    # Which process swept is part of the result: an operator (and the two-worker test) can see the work spread.
    return {**sweep_run(now=clock_now()).as_dict(), "worker": os.environ.get("XIAOGUAN_WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"}
