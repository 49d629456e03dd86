"""The quick log: five fields, recorded_at is the server's now, a position only for visits, refusals as messages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories.sales import AccountFactory, LeadFactory, OpportunityFactory
from xiaoguan.activities.models import Activity, Task
from xiaoguan.leads.models import Lead

pytestmark = pytest.mark.django_db


def test_quick_log_creates_an_activity_recorded_at_clock_now(org, login, clock):  # type: ignore[no-untyped-def]
    # given a rep's account and the clock at 12:10
    account = AccountFactory(owner=org.rep)
    now = clock.set("2025-03-05 12:10")
    client = login(org.rep)
    # when the rep opens the quick log from the account, then the account is preselected and the time defaults to now
    form = client.get("/activities/new/", {"account": account.external_id}).content.decode()
    assert f'value="account:{account.external_id}" checked' in form and 'value="2025-03-05T12:10"' in form
    # when the rep logs a visit that happened at 09:30, with a follow-up on Friday
    response = client.post("/activities/new/", {
        "subject": f"account:{account.external_id}", "kind": "visit", "content": "拜访设备科王科长，确认二期预算",
        "occurred_at": "2025-03-05T09:30", "next_follow_up_at": "2025-03-07T10:00",
    })
    # then one activity exists with the claimed time and recorded_at = now, and the page goes to the account
    assert response.status_code == 302 and response["Location"] == f"/customers/{account.external_id}/"
    activity = Activity.objects.get()
    assert activity.recorded_at == now and activity.occurred_at == clock.at("2025-03-05 09:30")
    assert (activity.owner, activity.account, activity.kind) == (org.rep, account, "visit")
    # and the follow-up became a to-do
    assert Task.objects.get().due_at == clock.at("2025-03-07 10:00")
    # and the account timeline shows it
    assert "拜访设备科王科长，确认二期预算" in client.get(response["Location"]).content.decode()


def test_a_visit_keeps_the_position_and_a_call_does_not(org, login, clock):  # type: ignore[no-untyped-def]
    clock.set("2025-03-05 12:10")
    account = AccountFactory(owner=org.rep)
    client = login(org.rep)
    base = {"subject": f"account:{account.external_id}", "occurred_at": "2025-03-05T12:00", "lat": "31.2304161", "lng": "121.4737012"}
    client.post("/activities/new/", {**base, "kind": "visit"})
    client.post("/activities/new/", {**base, "kind": "call"})
    visit, call = Activity.objects.get(kind="visit"), Activity.objects.get(kind="call")
    assert (visit.lat, visit.lng) == (Decimal("31.230416"), Decimal("121.473701"))
    assert call.lat is None and call.lng is None


def test_a_time_in_the_future_is_refused_with_a_message_and_nothing_is_saved(org, login, clock):  # type: ignore[no-untyped-def]
    clock.set("2025-03-05 12:10")
    account = AccountFactory(owner=org.rep)
    response = login(org.rep).post("/activities/new/", {
        "subject": f"account:{account.external_id}", "kind": "visit", "occurred_at": "2025-03-05T18:00", "content": "未来的拜访",
    })
    assert response.status_code == 422
    html = response.content.decode()
    assert "发生时间不能晚于现在" in html and "未来的拜访" in html  # the typed text is kept
    assert not Activity.objects.exists()


def test_missing_subject_and_kind_are_explained(org, login, clock):  # type: ignore[no-untyped-def]
    clock.set("2025-03-05 12:10")
    response = login(org.rep).post("/activities/new/", {"occurred_at": "2025-03-05T12:00"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "请选择客户或商机" in html and "请选择跟进方式" in html
    assert not Activity.objects.exists()


def test_logging_on_someone_elses_account_is_not_possible(org, login, clock):  # type: ignore[no-untyped-def]
    clock.set("2025-03-05 12:10")
    theirs = AccountFactory(owner=org.rep2)
    client = login(org.rep)
    assert client.get("/activities/new/", {"account": theirs.external_id}).status_code == 404
    response = client.post("/activities/new/", {"subject": f"account:{theirs.external_id}", "kind": "call", "occurred_at": "2025-03-05T12:00"})
    assert response.status_code == 422 and "请选择客户或商机" in response.content.decode()
    assert not Activity.objects.exists()


def test_logging_on_a_deal_puts_it_on_the_account_timeline_too(org, login, clock):  # type: ignore[no-untyped-def]
    clock.set("2025-03-05 12:10")
    deal = OpportunityFactory(account=AccountFactory(owner=org.rep))
    response = login(org.rep).post("/activities/new/", {"subject": f"opportunity:{deal.external_id}", "kind": "demo", "occurred_at": "2025-03-05T11:00"})
    assert response["Location"] == f"/deals/{deal.external_id}/"
    activity = Activity.objects.get()
    assert activity.opportunity == deal and activity.account == deal.account


def test_first_call_on_a_lead_marks_it_contacted(org, login, clock):  # type: ignore[no-untyped-def]
    clock.set("2025-03-05 12:10")
    lead = LeadFactory(owner=org.rep, status=Lead.Status.ASSIGNED)
    login(org.rep).post("/activities/new/", {"subject": f"lead:{lead.external_id}", "kind": "call", "occurred_at": "2025-03-05T12:05"})
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED and lead.first_contact_at == clock.at("2025-03-05 12:05")


def test_subject_search_finds_only_visible_records(org, login):  # type: ignore[no-untyped-def]
    AccountFactory(owner=org.rep, name="海天味业")
    AccountFactory(owner=org.rep2, name="海天酱油")
    html = login(org.rep).get("/activities/subjects/", {"q": "海天"}, HTTP_HX_REQUEST="true").content.decode()
    assert "海天味业" in html and "海天酱油" not in html
