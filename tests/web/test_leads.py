"""The lead inbox (filters, search, pages without counts) and conversion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories.sales import T0, AccountFactory, LeadFactory
from xiaoguan.customers.models import Account, Contact
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity

pytestmark = pytest.mark.django_db


def test_inbox_filters_by_status_source_and_search(org, login):  # type: ignore[no-untyped-def]
    LeadFactory(owner=org.rep, name="甲", company="东方电气", status=Lead.Status.ASSIGNED, source=Lead.Source.WECOM)
    LeadFactory(owner=org.rep, name="乙", company="西部矿业", status=Lead.Status.CONTACTED, source=Lead.Source.WECOM)
    LeadFactory(owner=org.rep, name="丙", company="南方航空", status=Lead.Status.ASSIGNED, source=Lead.Source.PHONE)
    client = login(org.rep)

    def names(**params: str) -> set[str]:
        html = client.get("/leads/", params).content.decode()
        return {n for n in ("东方电气", "西部矿业", "南方航空") if n in html}

    assert names() == {"东方电气", "西部矿业", "南方航空"}
    assert names(status="assigned") == {"东方电气", "南方航空"}
    assert names(status="assigned", source="wecom") == {"东方电气"}
    assert names(q="矿业") == {"西部矿业"}
    # a converted lead leaves the working inbox, and "all" brings it back
    LeadFactory(owner=org.rep, company="北方重工", status=Lead.Status.CONVERTED)
    assert "北方重工" not in client.get("/leads/").content.decode()
    assert "北方重工" in client.get("/leads/", {"status": "all"}).content.decode()
    assert "北方重工" in client.get("/leads/", {"status": "converted"}).content.decode()
    # an unknown filter value is ignored rather than failing
    assert client.get("/leads/", {"status": "nonsense"}).status_code == 200


def test_filter_request_from_htmx_returns_only_the_results(org, login):  # type: ignore[no-untyped-def]
    LeadFactory(owner=org.rep, company="东方电气")
    response = login(org.rep).get("/leads/", {"q": "东方"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lead-results")
    html = response.content.decode()
    assert 'id="lead-results"' in html and "东方电气" in html and "<nav" not in html


def test_inbox_pages_with_a_next_link_and_no_total(org, login, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    # given 51 leads: one more than a page
    for i in range(51):
        LeadFactory(owner=org.rep, company=f"公司{i:02d}", created_at=T0 + timedelta(minutes=i))
    client = login(org.rep)
    first = client.get("/leads/").content.decode()
    assert "下一页" in first and "公司50" in first and "公司00" not in first
    second = client.get("/leads/", {"page": "2"}).content.decode()
    assert "公司00" in second and "下一页" not in second and "上一页" in second
    # and no COUNT query runs over the list
    with django_assert_max_num_queries(12) as queries:
        client.get("/leads/")
    assert not any("COUNT(" in q["sql"].upper() and "leads_lead" in q["sql"] for q in queries.captured_queries)


def test_convert_a_lead_into_account_contact_and_deal(org, login):  # type: ignore[no-untyped-def]
    lead = LeadFactory(owner=org.rep, name="林先生", company="鼎信自动化", budget=Decimal("300000"))
    client = login(org.rep)
    assert client.get(f"/leads/{lead.external_id}/convert/").status_code == 200
    response = client.post(f"/leads/{lead.external_id}/convert/", {
        "mode": "new", "account_name": "上海鼎信自动化有限公司", "create_contact": "on", "create_opportunity": "on",
        "product_line": "检测设备", "amount": "300000", "pipeline": "standard",
    })
    account = Account.objects.get(name="上海鼎信自动化有限公司")
    assert response.status_code == 302 and response["Location"] == f"/customers/{account.external_id}/"
    assert account.owner == org.rep
    assert Contact.objects.get(account=account).name == "林先生"
    assert Opportunity.objects.get(account=account).amount == Decimal("300000")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED and lead.converted_account == account


def test_convert_a_lead_onto_an_existing_visible_account(org, login):  # type: ignore[no-untyped-def]
    existing = AccountFactory(owner=org.rep, name="鼎信自动化")
    lead = LeadFactory(owner=org.rep, company="鼎信")
    client = login(org.rep)
    choices = client.get(f"/leads/{lead.external_id}/convert/", {"account_q": "鼎信"}, HTTP_HX_REQUEST="true").content.decode()
    assert existing.external_id in choices
    client.post(f"/leads/{lead.external_id}/convert/", {"mode": "existing", "account": existing.external_id, "pipeline": "standard"})
    lead.refresh_from_db()
    assert lead.converted_account == existing and Account.objects.count() == 1


def test_convert_onto_someone_elses_account_is_refused_and_nothing_is_written(org, login):  # type: ignore[no-untyped-def]
    theirs = AccountFactory(owner=org.rep2, name="别人的客户")
    lead = LeadFactory(owner=org.rep)
    client = login(org.rep)
    assert theirs.external_id not in client.get(f"/leads/{lead.external_id}/convert/", {"account_q": "别人"}, HTTP_HX_REQUEST="true").content.decode()
    response = client.post(f"/leads/{lead.external_id}/convert/", {"mode": "existing", "account": theirs.external_id, "pipeline": "standard"})
    assert response.status_code == 422 and "请选择一个已有客户" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ASSIGNED and not Opportunity.objects.exists()


def test_disqualify_needs_a_reason(org, login):  # type: ignore[no-untyped-def]
    lead = LeadFactory(owner=org.rep)
    client = login(org.rep)
    refused = client.post(f"/leads/{lead.external_id}/disqualify/", {"reason": ""})
    assert refused.status_code == 422
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ASSIGNED
    assert client.post(f"/leads/{lead.external_id}/disqualify/", {"reason": "空号"}).status_code == 302
    lead.refresh_from_db()
    assert lead.status == Lead.Status.DISQUALIFIED
    assert "空号" in client.get(f"/leads/{lead.external_id}/").content.decode()  # in the change history


def test_new_lead_needs_a_name_or_a_company(org, login):  # type: ignore[no-untyped-def]
    client = login(org.rep)
    refused = client.post("/leads/new/", {"source": "phone", "phone": "13800000000"})
    assert refused.status_code == 422 and "姓名和公司至少填写一项" in refused.content.decode()
    assert not Lead.objects.exists()
    created = client.post("/leads/new/", {"source": "phone", "company": "新公司"})
    lead = Lead.objects.get()
    assert created["Location"] == f"/leads/{lead.external_id}/" and lead.owner == org.rep
