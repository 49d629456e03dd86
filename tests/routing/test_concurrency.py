"""Round-robin under concurrent requests: two connections routing through one rule never take the same turn."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from tests.routing.conftest import NOW, make_rule, new_lead
from xiaoguan.leads.models import Lead
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
