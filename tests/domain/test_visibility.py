"""One visibility rule: each role sees exactly its slice (DESIGN.md principle 3)."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory, LeadFactory, OpportunityFactory
from xiaoguan.activities.selectors import activity_list_visible_to
from xiaoguan.core.clock import clock_now
from xiaoguan.customers.selectors import account_list_visible_to, contact_list_visible_to
from xiaoguan.leads.selectors import lead_list_visible_to
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.org.models import Assignment, Role, Team
from xiaoguan.org.visibility import can_change, phone_for, phone_mask
from xiaoguan.receivables.models import Invoice
from xiaoguan.receivables.selectors import invoice_list_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    company = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", parent=company)
    east_a = TeamFactory(name="华东一组", kind=Team.Kind.TEAM, parent=east)
    south = TeamFactory(name="华南大区", parent=company)
    director = UserFactory(role=Role.DIRECTOR, team=company)
    manager_east = UserFactory(role=Role.MANAGER, team=east, manager=director)
    rep_east = UserFactory(team=east_a, manager=manager_east)
    rep_east2 = UserFactory(team=east, manager=manager_east)
    rep_south = UserFactory(team=south)
    return {
        "company": company, "east": east, "south": south, "director": director, "manager_east": manager_east,
        "rep_east": rep_east, "rep_east2": rep_east2, "rep_south": rep_south,
    }


def test_rep_sees_only_own_leads_accounts_and_deals(org):  # type: ignore[no-untyped-def]
    # given two reps with a lead, an account and a deal each
    mine, theirs = org["rep_east"], org["rep_east2"]
    my_lead, their_lead = LeadFactory(owner=mine), LeadFactory(owner=theirs)
    my_opp, their_opp = OpportunityFactory(account=AccountFactory(owner=mine)), OpportunityFactory(account=AccountFactory(owner=theirs))
    # then each selector returns only the rep's own
    assert list(lead_list_visible_to(user=mine)) == [my_lead]
    assert set(account_list_visible_to(user=mine)) == {my_opp.account}
    assert list(opportunity_list_visible_to(user=mine)) == [my_opp]
    assert their_lead not in lead_list_visible_to(user=mine)
    assert their_opp not in opportunity_list_visible_to(user=mine)


def test_manager_sees_team_subtree_but_not_other_regions(org):  # type: ignore[no-untyped-def]
    # given leads in the manager's region, in a sub-team of it, and in another region
    in_region = LeadFactory(owner=org["rep_east2"])
    in_subteam = LeadFactory(owner=org["rep_east"])
    elsewhere = LeadFactory(owner=org["rep_south"])
    # then the manager sees the first two only
    visible = set(lead_list_visible_to(user=org["manager_east"]))
    assert visible == {in_region, in_subteam}
    assert elsewhere not in visible


def test_director_sees_everything(org):  # type: ignore[no-untyped-def]
    leads = {LeadFactory(owner=org["rep_east"]), LeadFactory(owner=org["rep_south"])}
    assert set(lead_list_visible_to(user=org["director"])) == leads


def test_finance_reads_accounts_and_invoices_but_no_leads_and_cannot_change(org):  # type: ignore[no-untyped-def]
    # given finance and an account with an invoice
    finance = UserFactory(role=Role.FINANCE, team=org["company"])
    account = AccountFactory(owner=org["rep_south"])
    invoice = Invoice.objects.create(account=account, amount=100, issued_on="2025-01-01", due_on="2025-02-01")
    LeadFactory(owner=org["rep_south"])
    # then finance sees the account and the invoice, but no lead, and may change nothing
    assert account in account_list_visible_to(user=finance)
    assert invoice in invoice_list_visible_to(user=finance)
    assert not lead_list_visible_to(user=finance).exists()
    assert not can_change(user=finance, owner=account.owner)


def test_legal_sees_only_what_is_assigned(org):  # type: ignore[no-untyped-def]
    # given a legal user with one of two deals assigned
    legal = UserFactory(role=Role.LEGAL, team=org["company"])
    assigned, other = OpportunityFactory(), OpportunityFactory()
    Assignment.objects.create(user=legal, content_type=ContentType.objects.get_for_model(assigned), object_id=assigned.pk, assigned_at=clock_now())
    # then only that deal is visible
    assert list(opportunity_list_visible_to(user=legal)) == [assigned]
    assert other not in opportunity_list_visible_to(user=legal)


def test_inactive_user_sees_nothing(org):  # type: ignore[no-untyped-def]
    rep = org["rep_east"]
    LeadFactory(owner=rep)
    rep.is_active = False
    rep.save()
    assert not lead_list_visible_to(user=rep).exists()


def test_manager_sees_activities_on_team_accounts(org):  # type: ignore[no-untyped-def]
    # given a visit logged by a rep on the rep's account
    activity = ActivityFactory(owner=org["rep_east"])
    # then the manager sees it, another region's rep does not
    assert activity in activity_list_visible_to(user=org["manager_east"])
    assert activity not in activity_list_visible_to(user=org["rep_south"])


def test_contacts_follow_account_visibility(org):  # type: ignore[no-untyped-def]
    from tests.factories.sales import ContactFactory

    mine = ContactFactory(account=AccountFactory(owner=org["rep_east"]))
    theirs = ContactFactory(account=AccountFactory(owner=org["rep_south"]))
    visible = set(contact_list_visible_to(user=org["rep_east"]))
    assert mine in visible and theirs not in visible


def test_phone_is_masked_for_anyone_but_the_owner(org):  # type: ignore[no-untyped-def]
    assert phone_mask("13812345678") == "138****5678"
    assert phone_for(user=org["manager_east"], owner_id=org["rep_east"].pk, phone="13812345678") == "138****5678"
    assert phone_for(user=org["rep_east"], owner_id=org["rep_east"].pk, phone="13812345678") == "13812345678"
    assert phone_for(user=org["rep_east"], owner_id=None, phone="") == ""
