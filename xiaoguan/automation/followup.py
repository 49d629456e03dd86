"""The reminder clock of a record's "next follow-up" time (accounts and deals): armed when the time is set or moved."""

from __future__ import annotations

from datetime import datetime

from xiaoguan.automation.services import timer_arm, timers_stop

FOLLOW_UP_TIMER = "follow_up_due"


def follow_up_reminder_arm(*, subject_kind: str, subject_id: int, due_at: datetime | None, now: datetime) -> None:
    """Remind the owner at `due_at`; a cleared time stops the reminder."""
    if due_at is None:
        timers_stop(kind=FOLLOW_UP_TIMER, subject_kind=subject_kind, subject_ids=[subject_id])
    else:
        timer_arm(kind=FOLLOW_UP_TIMER, subject_kind=subject_kind, subject_id=subject_id, due_at=max(due_at, now), now=now)
