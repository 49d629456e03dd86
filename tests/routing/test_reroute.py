"""A rep deactivated while holding leads: their leads go back to routing."""

from __future__ import annotations

import pytest

from tests.factories.org import UserFactory
from tests.routing.conftest import NOW, make_rule, new_lead
from xiaoguan.core.errors import NotAllowedError
from xiaoguan.leads.models import Lead, LeadAssignment
from xiaoguan.org.models import Role, User
from xiaoguan.routing.models import RouteMiss
from xiaoguan.routing.services import user_deactivate_with_reroute

pytestmark = pytest.mark.django_db


def test_deactivated_reps_uncontacted_leads_are_routed_again_and_contacted_ones_go_to_the_manager(org, clock, cities):
    now = clock.at(NOW)
    leaving = org.east_reps[0]
    make_rule(org.director, now, "华东", team=org.east, regions=[org.east.pk])
    fresh_leads = [new_lead(owner=leaving, status=Lead.Status.ASSIGNED, city="苏州") for _ in range(4)]
    stranded = new_lead(owner=leaving, status=Lead.Status.ASSIGNED, city="拉萨")
    contacted = new_lead(owner=leaving, status=Lead.Status.CONTACTED, first_contact_at=now, city="苏州")
    closed = new_lead(owner=leaving, status=Lead.Status.CONVERTED)
    report = user_deactivate_with_reroute(user=leaving, by=org.admin, now=now)
    assert not User.objects.get(pk=leaving.pk).is_active
    assert (report.rerouted, report.to_queue, report.to_manager, report.to_pool) == (4, 1, 1, 0)
    owners = sorted(Lead.objects.get(pk=lead.pk).owner.name for lead in fresh_leads)
    assert owners == ["李四", "李四", "王五", "王五"]  # never the leaver
    assert LeadAssignment.objects.filter(kind="rerouted", lead__in=fresh_leads).count() == 4
    stranded.refresh_from_db()
    assert stranded.owner is None and stranded.status == Lead.Status.NEW and RouteMiss.objects.filter(lead=stranded).exists()
    assert Lead.objects.get(pk=contacted.pk).owner == org.manager
    assert Lead.objects.get(pk=closed.pk).owner == leaving


def test_with_no_active_manager_contacted_leads_return_to_the_pool(org, clock):
    now = clock.at(NOW)
    loner = UserFactory(name="孤狼", team=org.west, role=Role.REP)
    contacted = new_lead(owner=loner, status=Lead.Status.CONTACTED, first_contact_at=now)
    report = user_deactivate_with_reroute(user=loner, by=org.director, now=now)
    assert report.to_pool == 1
    contacted.refresh_from_db()
    assert contacted.owner is None and contacted.pool_since is not None


def test_only_directors_and_admins_deactivate(org, clock):
    with pytest.raises(NotAllowedError):
        user_deactivate_with_reroute(user=org.east_reps[0], by=org.manager, now=clock.at(NOW))
