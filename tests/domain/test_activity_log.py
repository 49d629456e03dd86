"""A logged activity keeps the claimed time and the typing time apart; follow-ups become to-dos."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories.org import UserFactory
from tests.factories.sales import AccountFactory, LeadFactory, TaskFactory
from xiaoguan.activities.models import Activity, Task
from xiaoguan.activities.services import activity_log, task_complete, task_reopen
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError

pytestmark = pytest.mark.django_db


def test_recorded_at_is_now_and_occurred_at_is_what_the_rep_claims(clock):  # type: ignore[no-untyped-def]
    # given a rep who visited a customer this morning and types it in at lunch
    account = AccountFactory()
    now = clock.at("2025-03-05 12:10")
    # when the visit is logged as having happened at 09:30
    activity = activity_log(by=account.owner, now=now, kind="visit", account=account, occurred_at=clock.at("2025-03-05 09:30"), content="拜访设备科")
    # then both times are kept
    assert activity.recorded_at == now and activity.occurred_at == clock.at("2025-03-05 09:30")
    assert activity.external_id == f"xg-ACT-{activity.pk:06d}"


def test_a_visit_in_the_future_is_refused(clock):  # type: ignore[no-untyped-def]
    account = AccountFactory()
    now = clock.at("2025-03-05 12:10")
    with pytest.raises(ValidationFailedError) as refused:
        activity_log(by=account.owner, now=now, kind="visit", account=account, occurred_at=now + timedelta(hours=2))
    assert "occurred_at" in refused.value.field_errors
    assert not Activity.objects.exists()


def test_logging_on_another_reps_account_is_refused(clock):  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowedError):
        activity_log(by=UserFactory(), now=clock.at("2025-03-05 12:10"), kind="call", account=AccountFactory())
    assert not Activity.objects.exists()


def test_next_follow_up_sets_the_account_date_and_creates_a_task(clock):  # type: ignore[no-untyped-def]
    account = AccountFactory()
    due = clock.at("2025-03-07 10:00")
    activity_log(by=account.owner, now=clock.at("2025-03-05 12:10"), kind="call", account=account, next_follow_up_at=due)
    account.refresh_from_db()
    task = Task.objects.get(owner=account.owner)
    assert account.next_follow_up_at == due and task.due_at == due and task.source == "follow_up"


def test_first_activity_on_a_lead_marks_first_contact(clock):  # type: ignore[no-untyped-def]
    lead = LeadFactory(first_contact_at=None)
    activity_log(by=lead.owner, now=clock.at("2025-03-05 12:10"), kind="call", lead=lead, occurred_at=clock.at("2025-03-05 11:00"))
    lead.refresh_from_db()
    assert lead.first_contact_at == clock.at("2025-03-05 11:00") and lead.status == "contacted"


def test_task_complete_and_undo(clock):  # type: ignore[no-untyped-def]
    task = TaskFactory()
    task_complete(task=task, by=task.owner, now=clock.at("2025-03-05 12:00"))
    with pytest.raises(InvalidStateError):
        task_complete(task=task, by=task.owner, now=clock.at("2025-03-05 12:01"))
    task_reopen(task=task, by=task.owner)
    task.refresh_from_db()
    assert task.done_at is None
