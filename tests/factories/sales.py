"""Factories for the sales records: accounts, contacts, leads, opportunities, activities, tasks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import factory

from tests.factories.org import UserFactory
from xiaoguan.activities.models import Activity, Task
from xiaoguan.core.clock import org_tz
from xiaoguan.customers.models import Account, Contact
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=org_tz())


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    kind = Account.Kind.ENTERPRISE
    industry = "制造业"
    city = "苏州"
    owner = factory.SubFactory(UserFactory)
    region = factory.SelfAttribute("owner.team")
    created_at = T0


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    title = "设备科科长"
    role_in_decision = Contact.DecisionRole.DECISION_MAKER
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    created_at = T0
    source = Lead.Source.WEB_FORM
    name = factory.Sequence(lambda n: f"线索联系人{n}")
    company = factory.Sequence(lambda n: f"线索公司{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    industry = "医疗"
    city = "杭州"
    budget = Decimal("200000")
    status = Lead.Status.ASSIGNED
    owner = factory.SubFactory(UserFactory)
    assigned_at = T0


def standard_pipeline() -> Pipeline:
    return Pipeline.objects.get(external_id="standard")


def stage(key: str, pipeline: Pipeline | None = None) -> Stage:
    return (pipeline or standard_pipeline()).stages.get(key=key)


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    account = factory.SubFactory(AccountFactory)
    owner = factory.SelfAttribute("account.owner")
    pipeline = factory.LazyFunction(standard_pipeline)
    stage = factory.LazyAttribute(lambda o: o.pipeline.stages.get(position=1))
    name = factory.Sequence(lambda n: f"商机{n}")
    product_line = "检测设备"
    amount = Decimal("300000")
    created_at = T0


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    owner = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner"))
    kind = Activity.Kind.VISIT
    occurred_at = T0
    recorded_at = T0
    content = "拜访设备科，了解采购计划"


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"回访客户{n}")
    due_at = T0
    created_at = T0
