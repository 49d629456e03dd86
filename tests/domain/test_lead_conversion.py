"""A lead becomes account + contact + opportunity, or joins an existing account."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories.org import UserFactory
from tests.factories.sales import AccountFactory, LeadFactory
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.customers.models import Account
from xiaoguan.leads.models import Lead
from xiaoguan.leads.services import lead_convert, lead_create, lead_disqualify

pytestmark = pytest.mark.django_db


def test_converting_a_lead_creates_account_contact_and_deal(clock):  # type: ignore[no-untyped-def]
    # given a rep's lead from 杭州某医院 with a budget
    lead = LeadFactory(company="杭州仁和医院", name="王主任", budget=Decimal("480000"))
    # when the rep converts it
    result = lead_convert(lead=lead, by=lead.owner, now=clock.at("2025-03-05 10:00"), product_line="检测设备")
    # then an account, a contact and a deal in the first stage exist, owned by the rep, and the lead points at them
    lead.refresh_from_db()
    assert result.account.name == "杭州仁和医院" and result.account.owner == lead.owner
    assert result.contact is not None and result.contact.phone == lead.phone
    assert result.opportunity is not None and result.opportunity.amount == Decimal("480000")
    assert result.opportunity.stage.key == "lead_confirmed"
    assert result.opportunity.stage_history.count() == 1
    assert (lead.status, lead.converted_account, lead.converted_opportunity) == ("converted", result.account, result.opportunity)
    assert result.account.external_id.startswith("xg-A-")


def test_converting_into_an_existing_account_adds_no_account(clock):  # type: ignore[no-untyped-def]
    lead = LeadFactory()
    account = AccountFactory(owner=lead.owner)
    before = Account.objects.count()
    result = lead_convert(lead=lead, by=lead.owner, now=clock.at("2025-03-05 10:00"), account=account)
    assert result.account == account and Account.objects.count() == before


def test_a_lead_cannot_join_another_reps_account(clock):  # type: ignore[no-untyped-def]
    lead = LeadFactory()
    with pytest.raises(NotAllowedError):
        lead_convert(lead=lead, by=lead.owner, now=clock.at("2025-03-05 10:00"), account=AccountFactory())
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ASSIGNED


def test_a_converted_lead_cannot_be_converted_again(clock):  # type: ignore[no-untyped-def]
    lead = LeadFactory()
    lead_convert(lead=lead, by=lead.owner, now=clock.at("2025-03-05 10:00"))
    with pytest.raises(InvalidStateError):
        lead_convert(lead=lead, by=lead.owner, now=clock.at("2025-03-05 11:00"))


def test_lead_needs_a_name_or_company(clock):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError) as refused:
        lead_create(by=UserFactory(), now=clock.at("2025-03-05 10:00"), name=" ", company="")
    assert "name" in refused.value.field_errors
    assert not Lead.objects.exists()


def test_disqualify_needs_a_reason(clock):  # type: ignore[no-untyped-def]
    lead = LeadFactory()
    with pytest.raises(ValidationFailedError):
        lead_disqualify(lead=lead, by=lead.owner, now=clock.at("2025-03-05 10:00"), reason="")
    lead_disqualify(lead=lead, by=lead.owner, now=clock.at("2025-03-05 10:00"), reason="重复线索")
    lead.refresh_from_db()
    assert lead.status == "disqualified"
