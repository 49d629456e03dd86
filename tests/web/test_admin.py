"""The Django admin is there for configuration: every model is registered and its pages open."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories.org import UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory, LeadFactory, OpportunityFactory
from xiaoguan.org.models import Role

pytestmark = pytest.mark.django_db


def test_every_business_model_has_an_admin_page_that_opens(login):  # type: ignore[no-untyped-def]
    # given a superuser and one record of each big kind
    boss = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    ActivityFactory(account=AccountFactory())
    LeadFactory()
    OpportunityFactory()
    client = login(boss)
    apps = {"core", "org", "customers", "leads", "opportunities", "activities", "engagement", "receivables", "targets"}
    models = [m for m in admin.site._registry if m._meta.app_label in apps]
    assert {m._meta.app_label for m in models} == apps
    # then each change list and add page answers
    for model in models:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(url).status_code == 200, url
