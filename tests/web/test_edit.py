"""Editing a lead, an account, a contact and a deal from their pages: inline (HTMX) or as a small page, owner and line only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories.sales import AccountFactory, ContactFactory, LeadFactory, OpportunityFactory
from xiaoguan.core.history import history_list_for
from xiaoguan.customers.models import Account, Contact
from xiaoguan.leads.models import Lead

pytestmark = pytest.mark.django_db

LEAD_INFO = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "lead-info"}
ACCOUNT_INFO = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "account-info"}
CONTACTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "contacts"}
DEAL_INFO = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "deal-info"}


def lead_data(lead: Lead, **changes: str) -> dict[str, str]:
    data = {
        "name": lead.name, "company": lead.company, "phone": lead.phone, "email": lead.email, "source": lead.source,
        "industry": lead.industry, "region": lead.region.external_id if lead.region else "", "city": lead.city,
        "company_size": lead.company_size, "budget": str(lead.budget or ""),
    }
    return {**data, **changes}


def account_data(account: Account, **changes: str) -> dict[str, str]:
    data = {
        "name": account.name, "kind": account.kind, "grade": account.grade, "industry": account.industry, "size": account.size,
        "region": account.region.external_id if account.region else "", "city": account.city,
        "credit_limit": str(account.credit_limit or ""), "payment_terms_days": str(account.payment_terms_days or ""),
        "next_follow_up_at": "",
    }
    return {**data, **changes}


def contact_data(contact: Contact, **changes: str) -> dict[str, str]:
    data = {name: getattr(contact, name) for name in ("name", "title", "role_in_decision", "phone", "email", "wechat")}
    return {f"contact-{name}": value for name, value in {**data, **changes}.items()}


def deal_data(**changes: str) -> dict[str, str]:
    return {"name": "恒瑞二期产线", "product_line": "检测设备", "amount": "300000", "expected_close": "", "next_follow_up_at": "", **changes}


# ---- the owner edits, and the history says what changed ----


def test_owner_edits_a_lead_inline_and_the_history_shows_old_and_new(org, login):  # type: ignore[no-untyped-def]
    # given a rep's lead with a 200,000 budget
    lead = LeadFactory(owner=org.rep, company="鼎信自动化", budget=Decimal("200000"), region=org.east)
    client = login(org.rep)
    page = client.get(f"/leads/{lead.external_id}/").content.decode()
    assert f"/leads/{lead.external_id}/edit/" in page
    # when the rep opens the inline form, it is the card, pre-filled
    form = client.get(f"/leads/{lead.external_id}/edit/", **LEAD_INFO)
    html = form.content.decode()
    assert form.status_code == 200 and 'id="lead-info"' in html and "<nav" not in html
    assert 'value="鼎信自动化"' in html and 'hx-post=' in html
    # and saves a new company and budget
    saved = client.post(f"/leads/{lead.external_id}/edit/", lead_data(lead, company="上海鼎信自动化有限公司", budget="350000"), **LEAD_INFO)
    # then the card comes back with the new values, and the head and history are redrawn beside it
    html = saved.content.decode()
    assert saved.status_code == 200 and "已保存" in html and "¥350,000" in html
    assert 'id="history" hx-swap-oob="true"' in html and 'id="page-head" hx-swap-oob="true"' in html
    lead.refresh_from_db()
    assert (lead.company, lead.budget) == ("上海鼎信自动化有限公司", Decimal("350000"))
    entry = history_list_for(subject=lead).first()
    assert entry is not None and entry.actor == org.rep
    assert set(entry.changes) == {"company", "budget"}  # the untouched fields are not "changed"
    page = client.get(f"/leads/{lead.external_id}/").content.decode()
    assert "公司：<span class=\"old\">鼎信自动化</span> → 上海鼎信自动化有限公司" in page
    assert "预算：<span class=\"old\">200,000</span> → 350,000" in page


def test_owner_edits_an_account_and_the_history_shows_old_and_new(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep, name="恒瑞精密", grade="B", credit_limit=Decimal("500000"))
    client = login(org.rep)
    assert f"/customers/{account.external_id}/edit/" in client.get(f"/customers/{account.external_id}/").content.decode()
    form = client.get(f"/customers/{account.external_id}/edit/", **ACCOUNT_INFO).content.decode()
    assert 'id="account-info"' in form and 'value="恒瑞精密"' in form
    saved = client.post(
        f"/customers/{account.external_id}/edit/", account_data(account, grade="A", payment_terms_days="60"), **ACCOUNT_INFO
    )
    assert saved.status_code == 200 and "已保存" in saved.content.decode()
    account.refresh_from_db()
    assert (account.grade, account.payment_terms_days, account.credit_limit) == ("A", 60, Decimal("500000"))
    page = client.get(f"/customers/{account.external_id}/").content.decode()
    assert "等级：<span class=\"old\">B</span> → A" in page
    assert "账期(天)：<span class=\"old\">—</span> → 60" in page


def test_owner_edits_a_contact_and_the_account_history_names_it(org, login):  # type: ignore[no-untyped-def]
    contact = ContactFactory(account=AccountFactory(owner=org.rep), name="王建国", title="设备科科长", email="")
    account = contact.account
    client = login(org.rep)
    edit_url = f"/customers/{account.external_id}/contacts/{contact.external_id}/edit/"
    assert edit_url in client.get(f"/customers/{account.external_id}/").content.decode()
    form = client.get(edit_url, **CONTACTS).content.decode()
    assert 'id="contacts"' in form and 'name="contact-name"' in form and 'value="王建国"' in form
    saved = client.post(edit_url, contact_data(contact, title="设备部部长", email="wang@hengrui.cn"), **CONTACTS)
    assert saved.status_code == 200 and "设备部部长" in saved.content.decode()
    contact.refresh_from_db()
    assert (contact.title, contact.email) == ("设备部部长", "wang@hengrui.cn")
    page = client.get(f"/customers/{account.external_id}/").content.decode()
    assert "修改联系人 王建国" in page
    assert "职务：<span class=\"old\">设备科科长</span> → 设备部部长" in page


def test_owner_edits_a_deal_and_the_history_shows_old_and_new(org, login):  # type: ignore[no-untyped-def]
    deal = OpportunityFactory(account=AccountFactory(owner=org.rep), name="恒瑞二期产线", amount=Decimal("300000"))
    client = login(org.rep)
    assert f"/deals/{deal.external_id}/edit/" in client.get(f"/deals/{deal.external_id}/").content.decode()
    saved = client.post(f"/deals/{deal.external_id}/edit/", deal_data(amount="420000", expected_close="2025-06-30"), **DEAL_INFO)
    assert saved.status_code == 200 and "¥420,000" in saved.content.decode()
    deal.refresh_from_db()
    assert deal.amount == Decimal("420000") and str(deal.expected_close) == "2025-06-30"
    page = client.get(f"/deals/{deal.external_id}/").content.decode()
    assert "金额：<span class=\"old\">300,000</span> → 420,000" in page
    assert "预计成交：<span class=\"old\">—</span> → 2025-06-30" in page


def test_the_small_edit_page_saves_and_returns_to_the_record(org, login):  # type: ignore[no-untyped-def]
    # given a phone without the inline form: the edit page is a whole page, and saving goes back to the record
    lead = LeadFactory(owner=org.rep, city="杭州")
    client = login(org.rep)
    page = client.get(f"/leads/{lead.external_id}/edit/").content.decode()
    assert "<nav" in page and "hx-post" not in page and f'href="/leads/{lead.external_id}/"' in page  # cancel
    saved = client.post(f"/leads/{lead.external_id}/edit/", lead_data(lead, city="宁波"))
    assert saved.status_code == 302 and saved["Location"] == f"/leads/{lead.external_id}/"
    assert "修改已保存" in client.get(saved["Location"]).content.decode()
    lead.refresh_from_db()
    assert lead.city == "宁波"


def test_cancel_brings_back_the_card_as_it_was(org, login):  # type: ignore[no-untyped-def]
    deal = OpportunityFactory(account=AccountFactory(owner=org.rep), product_line="软件服务")
    card = login(org.rep).get(f"/deals/{deal.external_id}/", **DEAL_INFO).content.decode()
    assert 'id="deal-info"' in card and "软件服务" in card and "<nav" not in card and "<form" not in card


def test_saving_unchanged_values_writes_no_history(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep, credit_limit=Decimal("500000.00"))
    client = login(org.rep)
    client.post(f"/customers/{account.external_id}/edit/", account_data(account, credit_limit="500000"), **ACCOUNT_INFO)
    assert not history_list_for(subject=account).exists()


# ---- who may edit ----


def test_another_rep_gets_404_and_nothing_changes(org, login):  # type: ignore[no-untyped-def]
    # given records of a colleague in the same team
    account = AccountFactory(owner=org.rep2, name="同事的客户")
    contact = ContactFactory(account=account, name="同事的联系人")
    deal = OpportunityFactory(account=account, name="同事的商机")
    lead = LeadFactory(owner=org.rep2, company="同事的线索")
    client = login(org.rep)
    # when the rep opens or posts their edit forms, then each is "not found"
    posts = {
        f"/leads/{lead.external_id}/edit/": lead_data(lead, company="改了"),
        f"/customers/{account.external_id}/edit/": account_data(account, name="改了"),
        f"/customers/{account.external_id}/contacts/{contact.external_id}/edit/": contact_data(contact, name="改了"),
        f"/deals/{deal.external_id}/edit/": deal_data(name="改了"),
    }
    for url, data in posts.items():
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
        assert client.post(url, data, HTTP_HX_REQUEST="true").status_code == 404, url
    # and nothing was written
    for record in (lead, account, contact, deal):
        record.refresh_from_db()
    assert (lead.company, account.name, contact.name, deal.name) == ("同事的线索", "同事的客户", "同事的联系人", "同事的商机")


def test_finance_sees_no_edit_button_and_its_posts_are_refused(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep, name="恒瑞精密")
    contact = ContactFactory(account=account, name="王建国")
    deal = OpportunityFactory(account=account)
    lead = LeadFactory(owner=org.rep)
    client = login(org.finance)
    # finance reads the account, without edit controls
    page = client.get(f"/customers/{account.external_id}/").content.decode()
    assert "/edit/" not in page
    # and its writes are refused: 403 where finance may read, 404 where it may not
    assert client.post(f"/customers/{account.external_id}/edit/", account_data(account, name="财务改的")).status_code == 403
    contact_url = f"/customers/{account.external_id}/contacts/{contact.external_id}/edit/"
    assert client.post(contact_url, contact_data(contact, name="财务改的")).status_code == 403
    assert client.post(contact_url, contact_data(contact, name=""), **CONTACTS).status_code == 403  # refused before it is checked
    assert client.post(f"/deals/{deal.external_id}/edit/", deal_data(name="财务改的")).status_code == 404
    assert client.post(f"/leads/{lead.external_id}/edit/", lead_data(lead, company="财务改的")).status_code == 404
    account.refresh_from_db()
    contact.refresh_from_db()
    assert (account.name, contact.name) == ("恒瑞精密", "王建国")
    assert not history_list_for(subject=account).exists()


def test_manager_edits_a_subtree_record_but_not_another_regions(org, login):  # type: ignore[no-untyped-def]
    # given a deal of a rep in the manager's region and one in another region
    mine = OpportunityFactory(account=AccountFactory(owner=org.rep), amount=Decimal("100000"))
    elsewhere = OpportunityFactory(account=AccountFactory(owner=org.west_rep), amount=Decimal("100000"))
    client = login(org.manager)
    # then the manager sees 编辑 on the first and saves it; the history names the manager
    assert f"/deals/{mine.external_id}/edit/" in client.get(f"/deals/{mine.external_id}/").content.decode()
    assert client.post(f"/deals/{mine.external_id}/edit/", deal_data(amount="150000"), **DEAL_INFO).status_code == 200
    mine.refresh_from_db()
    assert mine.amount == Decimal("150000")
    entry = history_list_for(subject=mine).first()
    assert entry is not None and entry.actor == org.manager
    # and the other region's deal is not found
    assert client.post(f"/deals/{elsewhere.external_id}/edit/", deal_data(amount="1")).status_code == 404


def test_a_managers_save_keeps_the_phone_masked_for_them(org, login):  # type: ignore[no-untyped-def]
    # given a rep's lead: its manager reads the phone masked (PIPL), in the form as on the page
    lead = LeadFactory(owner=org.rep, phone="13812345678", city="杭州")
    client = login(org.manager)
    form = client.get(f"/leads/{lead.external_id}/edit/", **LEAD_INFO).content.decode()
    assert "138****5678" in form and "13812345678" not in form
    # when the manager changes the city and sends the masked phone back untouched
    client.post(f"/leads/{lead.external_id}/edit/", lead_data(lead, phone="138****5678", city="宁波"), **LEAD_INFO)
    # then the phone is kept, and only the city is in the history
    lead.refresh_from_db()
    assert (lead.phone, lead.city) == ("13812345678", "宁波")
    entry = history_list_for(subject=lead).first()
    assert entry is not None and set(entry.changes) == {"city"}


def test_a_phone_change_shows_masked_in_the_history_for_the_manager(org, login):  # type: ignore[no-untyped-def]
    contact = ContactFactory(account=AccountFactory(owner=org.rep), phone="13900001111")
    account = contact.account
    login(org.rep).post(
        f"/customers/{account.external_id}/contacts/{contact.external_id}/edit/", contact_data(contact, phone="13900002222")
    )
    owners = login(org.rep).get(f"/customers/{account.external_id}/").content.decode()
    managers = login(org.manager).get(f"/customers/{account.external_id}/").content.decode()
    assert "13900001111" in owners and "13900002222" in owners
    assert "13900001111" not in managers and "13900002222" not in managers and "139****2222" in managers


# ---- refused input: 422, the message, nothing written ----


def test_a_negative_amount_is_refused_with_a_message_and_nothing_changes(org, login):  # type: ignore[no-untyped-def]
    deal = OpportunityFactory(account=AccountFactory(owner=org.rep), name="恒瑞二期产线", amount=Decimal("300000"))
    refused = login(org.rep).post(f"/deals/{deal.external_id}/edit/", deal_data(name="改名", amount="-5"), **DEAL_INFO)
    html = refused.content.decode()
    assert refused.status_code == 422 and "金额不能为负数" in html
    assert 'id="deal-info"' in html and 'value="改名"' in html  # the form comes back as typed
    deal.refresh_from_db()
    assert (deal.name, deal.amount) == ("恒瑞二期产线", Decimal("300000"))
    assert not history_list_for(subject=deal).exists()


def test_a_bad_email_is_refused_on_a_lead_and_on_a_contact(org, login):  # type: ignore[no-untyped-def]
    lead = LeadFactory(owner=org.rep, email="")
    contact = ContactFactory(account=AccountFactory(owner=org.rep), email="")
    client = login(org.rep)
    refused = client.post(f"/leads/{lead.external_id}/edit/", lead_data(lead, email="not-an-email", city="宁波"), **LEAD_INFO)
    assert refused.status_code == 422 and "邮箱格式不正确" in refused.content.decode()
    url = f"/customers/{contact.account.external_id}/contacts/{contact.external_id}/edit/"
    refused = client.post(url, contact_data(contact, email="wang@"), **CONTACTS)
    assert refused.status_code == 422 and "邮箱格式不正确" in refused.content.decode() and 'id="contacts"' in refused.content.decode()
    lead.refresh_from_db()
    contact.refresh_from_db()
    assert (lead.email, lead.city, contact.email) == ("", "杭州", "")


def test_a_blank_name_is_refused_with_a_message_and_nothing_changes(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep, name="恒瑞精密")
    lead = LeadFactory(owner=org.rep, name="林先生", company="鼎信")
    contact = ContactFactory(account=account, name="王建国")
    client = login(org.rep)
    refused = client.post(f"/customers/{account.external_id}/edit/", account_data(account, name="  "), **ACCOUNT_INFO)
    assert refused.status_code == 422 and "请填写客户名称" in refused.content.decode()
    refused = client.post(f"/leads/{lead.external_id}/edit/", lead_data(lead, name="", company=""), **LEAD_INFO)
    assert refused.status_code == 422 and "姓名和公司至少填写一项" in refused.content.decode()
    refused = client.post(f"/customers/{account.external_id}/contacts/{contact.external_id}/edit/", contact_data(contact, name=""))
    assert refused.status_code == 422 and "请填写联系人姓名" in refused.content.decode() and "<nav" in refused.content.decode()
    account.refresh_from_db()
    lead.refresh_from_db()
    contact.refresh_from_db()
    assert (account.name, lead.name, lead.company, contact.name) == ("恒瑞精密", "林先生", "鼎信", "王建国")
    assert not history_list_for(subject=account).exists() and not history_list_for(subject=lead).exists()


def test_other_refusals_name_the_field(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep)
    client = login(org.rep)
    html = client.post(
        f"/customers/{account.external_id}/edit/",
        account_data(account, credit_limit="-1", payment_terms_days="abc", next_follow_up_at="明天"), **ACCOUNT_INFO,
    ).content.decode()
    assert "信用额度不能为负数" in html and "账期请填写整数天数" in html and "请输入正确的日期和时间" in html


def test_a_closed_lead_is_not_edited(org, login):  # type: ignore[no-untyped-def]
    lead = LeadFactory(owner=org.rep, status=Lead.Status.CONVERTED, city="杭州")
    client = login(org.rep)
    assert f"/leads/{lead.external_id}/edit/" not in client.get(f"/leads/{lead.external_id}/").content.decode()
    response = client.post(f"/leads/{lead.external_id}/edit/", lead_data(lead, city="宁波"))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.city == "杭州"


def test_english_edit_form(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep)
    client = login(org.rep)
    client.cookies["django_language"] = "en"
    html = client.get(f"/customers/{account.external_id}/edit/").content.decode()
    assert "Edit customer" in html and "Credit limit (CNY)" in html and "Payment terms (days)" in html
    refused = client.post(f"/customers/{account.external_id}/edit/", account_data(account, name="", credit_limit="-1"))
    assert "Enter the customer name" in refused.content.decode() and "The credit limit cannot be negative" in refused.content.decode()
