"""capture_lead: an arrival is merged into an open lead, linked to an existing customer, or a new routed lead."""

from __future__ import annotations

import pytest

from tests.capture.conftest import Org
from tests.factories.sales import AccountFactory, ContactFactory, LeadFactory
from xiaoguan.automation.models import Notification
from xiaoguan.capture.models import LeadCapture
from xiaoguan.capture.services import capture_lead
from xiaoguan.core.errors import ValidationFailedError
from xiaoguan.leads.models import Lead, LeadAssignment

pytestmark = pytest.mark.django_db


def _capture(now, **fields):
    return capture_lead(source=Lead.Source.WEB_FORM, fields=fields, raw={"post": fields}, now=now)


@pytest.mark.parametrize("phone", ["+86 138 0013 8000", "138-0013-8000", "0086 13800138000", "138 0013 8000", "8613800138000"])
def test_the_same_phone_written_differently_merges_into_the_open_lead(org: Org, now, phone):
    # given an open lead of 张三 with a plain mobile number
    lead = LeadFactory(owner=org.rep, status=Lead.Status.ASSIGNED, phone="13800138000", name="陈工", company="")
    # when the customer leaves the number again, written another way, with the company this time
    result = _capture(now, name="陈先生", phone=phone, company="苏州精测仪器有限公司")
    # then it is the same lead: one more capture, the blank company filled, the name left as the rep had it
    assert result.outcome == LeadCapture.Outcome.MERGED and result.lead == lead
    lead.refresh_from_db()
    assert Lead.objects.count() == 1
    assert (lead.capture_count, lead.company, lead.name) == (2, "苏州精测仪器有限公司", "陈工")
    # and its owner is told "客户再次留资"
    note = Notification.objects.get(recipient=org.rep, kind="lead_recaptured")
    assert "客户再次留资" in note.title and note.subject_id == lead.pk


def test_the_same_email_in_other_case_merges(org: Org, now):
    lead = LeadFactory(owner=org.rep, status=Lead.Status.CONTACTED, email="Chen@Example.cn", phone="")
    result = _capture(now, name="陈工", email=" chen@example.CN ")
    assert result.outcome == LeadCapture.Outcome.MERGED and result.lead == lead


def test_a_closed_lead_is_not_merged_into(org: Org, now, routed_to):
    # given the same number on a lead that was disqualified
    LeadFactory(owner=org.rep, status=Lead.Status.DISQUALIFIED, phone="13800138000")
    # when it arrives again
    result = _capture(now, name="陈工", phone="13800138000")
    # then it is a new lead, routed by the rules
    assert result.outcome == LeadCapture.Outcome.CREATED
    assert result.lead.owner == routed_to and result.lead.status == Lead.Status.ASSIGNED
    assert LeadAssignment.objects.get(lead=result.lead).kind == LeadAssignment.Kind.ROUTED


@pytest.mark.parametrize(
    "company", ["苏州恒力精密机械有限公司", "苏州恒力精密机械股份有限公司", "苏州恒力精密机械(中国)有限公司", "苏州恒力精密机械（中国）有限公司", "苏州恒力精密机械"]
)
def test_a_lead_of_an_existing_customer_is_linked_and_given_to_its_owner(org: Org, now, routed_to, company):
    # given 李四's customer
    account = AccountFactory(name="苏州恒力精密机械有限公司", owner=org.rep2)
    # when someone from that company leaves their details, the company written another way
    result = _capture(now, name="周工", company=company, phone="13900001111")
    # then the new lead belongs to that customer and to its owner, not to the routing rules
    assert result.outcome == LeadCapture.Outcome.LINKED
    lead = result.lead
    assert lead.account == account and lead.owner == org.rep2 and lead.status == Lead.Status.ASSIGNED
    assignment = LeadAssignment.objects.get(lead=lead)
    assert assignment.kind == LeadAssignment.Kind.ACCOUNT_OWNER and "苏州恒力精密机械有限公司" in assignment.reason
    # and the owner is told
    assert Notification.objects.filter(recipient=org.rep2, subject_id=lead.pk).exists()


def test_a_contacts_phone_links_the_lead_to_the_contacts_account(org: Org, now, routed_to):
    contact = ContactFactory(phone="139-0000-2222", account=AccountFactory(owner=org.rep2))
    result = _capture(now, name="某人", phone="+86 139 0000 2222")
    assert result.outcome == LeadCapture.Outcome.LINKED
    assert result.lead.account == contact.account and result.lead.owner == org.rep2


def test_an_open_lead_wins_over_an_account(org: Org, now):
    AccountFactory(name="苏州恒力精密机械有限公司", owner=org.rep2)
    lead = LeadFactory(owner=org.rep, status=Lead.Status.ASSIGNED, phone="13800138000")
    result = _capture(now, company="苏州恒力精密机械", phone="13800138000")
    assert result.outcome == LeadCapture.Outcome.MERGED and result.lead == lead


def test_a_new_lead_is_routed_and_its_capture_kept_verbatim(org: Org, now, routed_to):
    raw = {"post": {"name": "王五", "extra": ["任何", {"嵌套": 1}]}}
    result = capture_lead(source=Lead.Source.WEB_FORM, fields={"name": "王五", "phone": "13700000000"}, raw=raw, now=now, ip="203.0.113.9")
    assert result.outcome == LeadCapture.Outcome.CREATED
    lead = Lead.objects.get()
    assert lead.owner == routed_to and lead.phone_key == "13700000000" and lead.capture_count == 1
    capture = LeadCapture.objects.get()
    assert capture.raw == raw and capture.ip == "203.0.113.9" and capture.received_at == now and capture.lead == lead


def test_a_malformed_phone_is_kept_as_typed_without_a_key(org: Org, now, routed_to):
    # given an open lead whose phone is also malformed
    LeadFactory(owner=org.rep, status=Lead.Status.ASSIGNED, phone="138-abc")
    # when another arrival carries the same malformed text
    result = _capture(now, name="王五", phone="138-abc")
    # then it is kept as typed, has no key, and matches nothing
    assert result.outcome == LeadCapture.Outcome.CREATED
    assert (result.lead.phone, result.lead.phone_key) == ("138-abc", "")


def test_emoji_and_ten_thousand_character_names_are_trimmed_to_the_column(org: Org, now, routed_to):
    result = _capture(now, name="😀王五🚀" + "名" * 10_000, company=" 🏭 工厂 " * 2000, phone="13700000000")
    lead = Lead.objects.get(pk=result.lead.pk)
    assert lead.name.startswith("😀王五🚀") and len(lead.name) == 100
    assert len(lead.company) == 200 and lead.company.startswith("🏭 工厂")


def test_nothing_to_contact_or_a_bad_email_is_refused_and_nothing_stored(org: Org, now):
    with pytest.raises(ValidationFailedError):
        _capture(now, name="  ", city="苏州")
    with pytest.raises(ValidationFailedError) as refused:
        _capture(now, name="王五", email="not-an-email")
    assert "email" in refused.value.field_errors
    assert not Lead.objects.exists() and not LeadCapture.objects.exists()


def test_capture_is_a_handful_of_queries(org: Org, now, routed_to, django_assert_max_num_queries):
    AccountFactory(name="别的公司", owner=org.rep2)
    _capture(now, name="热身", phone="13700000009")  # content types and routing caches warmed
    with django_assert_max_num_queries(40):
        _capture(now, name="王五", company="苏州新客户有限公司", phone="13700000000", email="w5@example.cn")
