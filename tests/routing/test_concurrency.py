"""Round-robin under concurrent requests: two connections routing (or capturing) through one rule never take the same turn."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from tests.routing.conftest import NOW, make_rule, new_lead
from xiaoguan.automation.models import Notification, Timer
from xiaoguan.capture.models import LeadCapture
from xiaoguan.capture.services import capture_lead
from xiaoguan.leads.models import Lead, LeadAssignment
from xiaoguan.routing.models import RoutingCursor
from xiaoguan.routing.services import lead_route

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real connections: DATABASE_URL=postgresql://…"),
]

PER_THREAD = 15


def test_two_connections_routing_at_once_share_the_turns_evenly(org, clock):
    now = clock.at(NOW)
    rule = make_rule(org.director, now, "华东", team=org.east)
    leads = [new_lead() for _ in range(2 * PER_THREAD)]
    batches = [leads[:PER_THREAD], leads[PER_THREAD:]]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(batch: list[Lead]) -> None:
        try:
            start.wait()
            for lead in batch:
                lead_route(lead=Lead.objects.get(pk=lead.pk), now=now)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(batch,)) for batch in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    owners = Counter(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("owner__name", flat=True))
    # 30 leads over 3 reps in strict turns: 10 each, whatever the interleaving
    assert owners == Counter({"张三": 10, "李四": 10, "王五": 10})
    assert RoutingCursor.objects.get(rule=rule).turns == 30


def test_captures_at_once_each_take_their_own_turn_and_write_every_row(org, clock):
    """The capture's path: the turn taken in a write of its own, the rows planned, then one batch (one multi-statement
    query on PostgreSQL). Two connections capturing at once still give 10 leads to each of 3 reps."""
    now = clock.at(NOW)
    rule = make_rule(org.director, now, "华东", team=org.east)
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    made: list[int] = []

    def work(thread: int) -> None:
        try:
            start.wait()
            for k in range(PER_THREAD):
                result = capture_lead(source=Lead.Source.WEB_FORM, fields={"name": f"客户{thread}-{k}", "phone": f"1390{thread}{k:06d}", "city": "苏州"},
                                      raw={}, now=now)
                assert result.lead is not None
                made.append(result.lead.pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    leads = Lead.objects.filter(pk__in=made)
    assert Counter(leads.values_list("owner__name", flat=True)) == Counter({"张三": 10, "李四": 10, "王五": 10})
    assert RoutingCursor.objects.get(rule=rule).turns == 30
    assert LeadAssignment.objects.filter(lead__in=leads, rule_id=rule.pk).count() == 30
    assert Timer.objects.filter(kind="lead_sla", subject_id__in=made, due_at__isnull=False).count() == 30
    assert Notification.objects.filter(kind="lead_assigned", subject_id__in=made).count() == 30
    assert LeadCapture.objects.filter(lead__in=leads, outcome=LeadCapture.Outcome.CREATED).count() == 30
