"""core.bulk.WriteBatch: rows planned before the transaction, written in one burst, keys filled in afterwards.

Run outside a test transaction (`transaction=True`) as the capture runs it: on PostgreSQL the batch is then one
multi-statement query, its own implicit transaction."""

from __future__ import annotations

import pytest

from tests.factories.org import TeamFactory, UserFactory
from xiaoguan.automation.delivery import notification_preferences_set
from xiaoguan.automation.models import Delivery, Notification
from xiaoguan.automation.services import NotificationDraft, notify, notify_plan
from xiaoguan.core.bulk import BatchStaleError, WriteBatch
from xiaoguan.core.clock import clock_now
from xiaoguan.core.history import history_entry
from xiaoguan.core.models import HistoryEntry
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import Role, Team
from xiaoguan.routing.models import RoutingCursor, RoutingRule

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rep():
    company = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    user = UserFactory(name="张三", role=Role.REP, team=company, email="zhangsan@example.cn")
    notification_preferences_set(user=user, choices={"lead_assigned": ["email"]})
    return user


def test_rows_that_need_a_new_rows_key_get_it_and_the_objects_are_set_right(rep):
    now = clock_now()
    lead = Lead(created_at=now, source=Lead.Source.OTHER, status=Lead.Status.NEW, name="陈工", phone="138 0013 8000")
    batch = WriteBatch()
    ref = batch.insert(lead)
    batch.insert(history_entry(subject=lead, actor=None, action=HistoryEntry.Action.CREATED, at=now, note=f"见 {lead.external_id}"))
    bell = notify_plan(batch, draft=NotificationDraft(
        recipient=rep, kind="lead_assigned", title=f"新线索 {lead.pk}", dedupe_key=f"t:{lead.pk}", subject_kind="lead", subject_id=lead.pk,
    ), now=now)
    assert Lead.objects.count() == 0  # planned, nothing written yet
    batch.run(fast_commit=True)

    saved = Lead.objects.get()
    assert ref.value == saved.pk == lead.pk
    assert saved.external_id == lead.external_id == f"xg-L-{saved.pk:06d}"
    assert saved.phone_key == "13800138000"  # dedupe keys filled as save() fills them
    entry = HistoryEntry.objects.get(object_id=saved.pk)
    assert entry.note == f"见 {saved.external_id}"
    stored = Notification.objects.get()
    assert (stored.pk, stored.subject_id, stored.title, stored.dedupe_key) == (bell.pk, saved.pk, f"新线索 {saved.pk}", f"t:{saved.pk}")
    assert Delivery.objects.get().notification_id == stored.pk  # the e-mail the rep chose


def test_a_conflicting_row_is_left_alone_and_the_rows_needing_it_are_skipped(rep):
    now = clock_now()
    first = notify(recipient=rep, kind="lead_assigned", title="一", dedupe_key="same", now=now)
    again = notify(recipient=rep, kind="lead_assigned", title="二", dedupe_key="same", now=now)
    assert first is not None and again is None
    assert Notification.objects.get().title == "一"
    assert Delivery.objects.count() == 1


def test_a_stale_guard_stops_the_batch_before_anything_is_written(rep):
    now = clock_now()
    rule = RoutingRule.objects.create(name="全部", position=1, conditions={}, target_rep_ids=[rep.pk], created_at=now, updated_at=now)
    RoutingCursor.objects.create(rule=rule, turns=5)
    batch = WriteBatch()
    batch.guard("UPDATE routing_routingcursor SET turns = turns + 1 WHERE rule_id = %s AND turns = %s RETURNING turns", [rule.pk, 4])
    batch.insert(Lead(created_at=now, source=Lead.Source.OTHER, status=Lead.Status.NEW, name="陈工"))
    with pytest.raises(BatchStaleError):
        batch.run()
    assert Lead.objects.count() == 0
    assert RoutingCursor.objects.get(rule=rule).turns == 5
    with pytest.raises(ValueError, match="guards come first"):
        batch.guard("UPDATE routing_routingcursor SET turns = turns WHERE rule_id = %s RETURNING turns", [rule.pk])
