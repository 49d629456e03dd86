"""Pages follow the one visibility rule: other people's records are 404, read-only roles see no edit buttons."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.factories.sales import AccountFactory, ContactFactory, LeadFactory, OpportunityFactory
from xiaoguan.customers.models import Contact
from xiaoguan.opportunities.models import StageHistory

pytestmark = pytest.mark.django_db


def test_rep_gets_404_for_another_reps_lead_opportunity_and_account(org, login):  # type: ignore[no-untyped-def]
    # given records owned by a colleague in the same team
    account = AccountFactory(owner=org.rep2)
    opportunity = OpportunityFactory(account=account)
    lead = LeadFactory(owner=org.rep2)
    client = login(org.rep)
    # when the rep opens their pages, then each is "not found" (not "forbidden": existence is not revealed)
    for url in (f"/leads/{lead.external_id}/", f"/deals/{opportunity.external_id}/", f"/customers/{account.external_id}/",
                f"/leads/{lead.external_id}/convert/", f"/activities/new/?account={account.external_id}"):
        assert client.get(url).status_code == 404, url
    # and writes are 404 as well
    assert client.post(f"/deals/{opportunity.external_id}/move/", {"stage": "needs_diagnosed"}).status_code == 404
    assert not StageHistory.objects.filter(opportunity=opportunity).exclude(stage__key="lead_confirmed").exists()


def test_rep_opens_own_records(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep)
    opportunity = OpportunityFactory(account=account)
    lead = LeadFactory(owner=org.rep)
    client = login(org.rep)
    for url in (f"/leads/{lead.external_id}/", f"/deals/{opportunity.external_id}/", f"/customers/{account.external_id}/"):
        assert client.get(url).status_code == 200, url


def test_manager_sees_the_team_subtree_but_not_another_region(org, login):  # type: ignore[no-untyped-def]
    # given an account of a rep in the manager's region and one in another region
    mine = AccountFactory(owner=org.rep, name="华东客户甲")
    elsewhere = AccountFactory(owner=org.west_rep, name="华西客户乙")
    client = login(org.manager)
    # then the manager opens the first and gets 404 for the second
    assert client.get(f"/customers/{mine.external_id}/").status_code == 200
    assert client.get(f"/customers/{elsewhere.external_id}/").status_code == 404
    # and the list shows only the first
    page = client.get("/customers/").content.decode()
    assert "华东客户甲" in page and "华西客户乙" not in page


def test_finance_reads_accounts_but_sees_no_edit_buttons_and_cannot_write(org, login):  # type: ignore[no-untyped-def]
    # given a rep's account with a deal and a lead
    account = AccountFactory(owner=org.rep)
    opportunity = OpportunityFactory(account=account)
    lead = LeadFactory(owner=org.rep)
    client = login(org.finance)
    # when finance opens the account, then it is readable without edit controls
    page = client.get(f"/customers/{account.external_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/activities/new/" not in html and "/contacts/new/" not in html
    # and posts are refused: 403 where finance may read, 404 where it may not
    assert client.post(f"/customers/{account.external_id}/contacts/new/", {"name": "新联系人"}).status_code == 403
    assert client.post(f"/deals/{opportunity.external_id}/lost/", {"reason": "价格"}).status_code == 404
    assert client.post(f"/leads/{lead.external_id}/convert/", {"mode": "new"}).status_code == 404
    assert client.get("/activities/new/").status_code == 403
    assert not Contact.objects.filter(name="新联系人").exists()
    opportunity.refresh_from_db()
    assert opportunity.is_open


def test_phone_is_masked_in_lists_for_viewers_who_do_not_own_the_record(org, login):  # type: ignore[no-untyped-def]
    # given a rep's lead with a mobile number
    LeadFactory(owner=org.rep, phone="13812345678")
    # when the owner and the manager open the inbox
    own = login(org.rep).get("/leads/").content.decode()
    managers = login(org.manager).get("/leads/").content.decode()
    # then the owner reads it whole and the manager masked (PIPL)
    assert "13812345678" in own
    assert "13812345678" not in managers and "138****5678" in managers


def test_contact_phone_is_masked_on_the_account_page_for_the_manager(org, login):  # type: ignore[no-untyped-def]
    contact = ContactFactory(account=AccountFactory(owner=org.rep), phone="13900001111")
    page = login(org.manager).get(f"/customers/{contact.account.external_id}/").content.decode()
    assert "139****1111" in page and "13900001111" not in page


def test_search_never_shows_records_the_user_may_not_see(org, login):  # type: ignore[no-untyped-def]
    # given matching records of the rep and of a colleague
    AccountFactory(owner=org.rep, name="远航机械有限公司")
    AccountFactory(owner=org.rep2, name="远航电子有限公司")
    LeadFactory(owner=org.rep2, company="远航物流")
    ContactFactory(account=AccountFactory(owner=org.rep2), name="远航联系人")
    # when the rep searches
    html = login(org.rep).get("/search/", {"q": "远航"}).content.decode()
    # then only the rep's own record is found
    assert "远航机械有限公司" in html
    assert "远航电子" not in html and "远航物流" not in html and "远航联系人" not in html


def _sheet_rows(response) -> list[tuple]:  # type: ignore[no-untyped-def]
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.active.iter_rows(values_only=True))


def test_exports_contain_only_visible_records_with_masked_phones_and_escaped_cells(org, login):  # type: ignore[no-untyped-def]
    # given a rep's lead with a formula-looking company, and a lead of another region
    LeadFactory(owner=org.rep, company="=HYPERLINK(\"http://evil\")", phone="13812345678")
    LeadFactory(owner=org.west_rep, company="华西公司")
    # when the manager exports the lead list
    response = login(org.manager).get("/export/leads.xlsx")
    # then it is a workbook with the header and the one visible lead, escaped and masked
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _sheet_rows(response)
    assert len(rows) == 2
    lead_row = rows[1]
    assert "'=HYPERLINK(\"http://evil\")" in lead_row
    assert "138****5678" in lead_row and "13812345678" not in lead_row
    assert all("华西公司" not in str(cell) for row in rows for cell in row)


def test_exports_follow_the_list_filters(org, login):  # type: ignore[no-untyped-def]
    AccountFactory(owner=org.rep, name="甲级客户", grade="A")
    AccountFactory(owner=org.rep, name="丙级客户", grade="C")
    OpportunityFactory(account=AccountFactory(owner=org.rep2), name="别人的商机")
    client = login(org.rep)
    names = [row[1] for row in _sheet_rows(client.get("/export/accounts.xlsx", {"grade": "A"}))[1:]]
    assert names == ["甲级客户"]
    assert _sheet_rows(client.get("/export/opportunities.xlsx"))[1:] == []
    assert client.get("/export/users.xlsx").status_code == 404


def test_timeline_does_not_name_a_colleagues_deal_on_my_account(org, login):  # type: ignore[no-untyped-def]
    # given my account with a colleague's deal on it, and their activity on that deal
    from tests.factories.sales import ActivityFactory

    account = AccountFactory(owner=org.rep)
    theirs = OpportunityFactory(account=account, owner=org.rep2, name="同事的秘密商机")
    ActivityFactory(owner=org.rep2, account=account, opportunity=theirs, content="同事的跟进")
    # when I open my account
    html = login(org.rep).get(f"/customers/{account.external_id}/").content.decode()
    # then I see the activity on my account, but not the deal's name or link
    assert "同事的跟进" in html
    assert "同事的秘密商机" not in html and theirs.external_id not in html
