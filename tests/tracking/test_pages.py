"""Through the pages: a rep sends a tracked link from the deal, the customer books a meeting, scores show, weights edit."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.factories.org import UserFactory
from tests.tracking.test_links import BROWSER, send
from xiaoguan.activities.models import Task
from xiaoguan.automation.models import Notification
from xiaoguan.engagement.models import EngagementPolicy, TouchEvent
from xiaoguan.org.models import Role
from xiaoguan.tracking.models import TrackedLink
from xiaoguan.tracking.selectors import tracked_link_token

pytestmark = pytest.mark.django_db


def test_a_rep_creates_a_tracked_quote_link_from_the_deal_and_copies_it(deal, clock, login):
    quote = deal.quote()
    clock.set("2025-03-05 10:00")
    client = login(deal.rep)
    url = f"/deals/{deal.opportunity.external_id}/tracking/new/"
    response = client.post(url, {"kind": "document", "contact": deal.contact.pk, "document": quote.pk, "label": "<b>报价</b>"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    link = TrackedLink.objects.get()
    assert f"/t/{tracked_link_token(link=link)}" in page
    assert "&lt;b&gt;报价&lt;/b&gt;" in page and "<b>报价</b>" not in page
    assert TouchEvent.objects.filter(kind=TouchEvent.Kind.SENT, opportunity=deal.opportunity).count() == 1


def test_bad_input_on_the_link_form_is_a_clear_message_not_a_500(deal, clock, login):
    client = login(deal.rep)
    url = f"/deals/{deal.opportunity.external_id}/tracking/new/"
    response = client.post(url, {"kind": "document", "contact": deal.contact.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "请选择要发送的资料" in response.content.decode()
    response = client.post(url, {"kind": "url", "recipient": "李女士", "url": "javascript:alert(1)"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and not TrackedLink.objects.exists()


def test_another_reps_deal_panel_is_not_found(deal, login):
    stranger = UserFactory(role=Role.REP)
    assert login(stranger).get(f"/deals/{deal.opportunity.external_id}/tracking/").status_code == 404
    assert login(deal.manager).get(f"/deals/{deal.opportunity.external_id}/tracking/").status_code == 200


def test_the_customer_books_a_meeting_and_the_owner_hears_of_it(deal, clock, client):
    link = send(deal, clock, kind=TrackedLink.Kind.BOOKING)
    clock.set("2025-03-05 15:00")
    url = f"/t/{tracked_link_token(link=link)}"
    page = client.get(url, HTTP_USER_AGENT=BROWSER).content.decode()
    slot = re.search(r'value="(2025-03-06T10:00:00\+08:00)"', page)
    assert slot is not None
    assert TouchEvent.objects.filter(tracked_item_key=link.external_id, kind=TouchEvent.Kind.CLICKED).count() == 1
    response = client.post(url, {"slot": slot[1], "note": "<script>alert(1)</script>请带样品"}, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200 and "预约成功" in response.content.decode()
    booked = TouchEvent.objects.get(tracked_item_key=link.external_id, kind=TouchEvent.Kind.MEETING_BOOKED)
    assert booked.opportunity == deal.opportunity and booked.contact == deal.contact
    task = Task.objects.get(owner=deal.rep, source=Task.Source.SYSTEM)
    assert task.due_at == datetime.fromisoformat(slot[1]) and "张工" in task.title
    note = Notification.objects.get(recipient=deal.rep, kind="meeting_booked")
    assert "请带样品" in note.body
    # a second booking is refused, nothing more is written
    again = client.post(url, {"slot": "2025-03-06T14:00:00+08:00"}, HTTP_USER_AGENT=BROWSER)
    assert "已经预约过了" in again.content.decode()
    assert Task.objects.filter(owner=deal.rep).count() == 1


def test_a_booking_for_a_time_not_offered_is_refused(deal, clock, client):
    link = send(deal, clock, kind=TrackedLink.Kind.BOOKING)
    clock.set("2025-03-05 15:00")
    response = client.post(f"/t/{tracked_link_token(link=link)}", {"slot": "2025-03-06T03:00:00+08:00"}, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 422
    assert not TouchEvent.objects.filter(kind=TouchEvent.Kind.MEETING_BOOKED).exists()


def test_scores_show_on_the_deal_and_account_pages(deal, clock, login):
    link = send(deal, clock)
    clock.set("2025-03-05 11:00")
    login(deal.rep).get(f"/t/{tracked_link_token(link=link)}/download", HTTP_USER_AGENT=BROWSER)
    client = login(deal.rep)
    panel = client.get(f"/deals/{deal.opportunity.external_id}/tracking/", HTTP_HX_REQUEST="true").content.decode()
    assert "<strong class=\"tnum\">5.0</strong>" in panel and "下载 1" in panel
    account = client.get(f"/customers/{deal.account.external_id}/engagement/", HTTP_HX_REQUEST="true").content.decode()
    assert "<strong class=\"tnum\">5.0</strong>" in account and "张工" in account
    detail = client.get(f"/deals/{deal.opportunity.external_id}/").content.decode()
    assert f"/deals/{deal.opportunity.external_id}/tracking/" in detail
    assert f"/customers/{deal.account.external_id}/engagement/" in client.get(f"/customers/{deal.account.external_id}/").content.decode()


def test_only_admins_and_directors_edit_the_weights(deal, clock, login):
    clock.set("2025-03-05 10:00")
    assert login(deal.rep).get("/settings/engagement/").status_code == 403
    director = UserFactory(role=Role.DIRECTOR, team=None)
    client = login(director)
    assert "打开 1 分、点击 3 分、下载 5 分、预约会议 8 分" in client.get("/settings/engagement/").content.decode()
    form = {"weight_opened": "1", "weight_clicked": "3", "weight_downloaded": "6", "weight_meeting_booked": "8", "half_life_days": "10",
            "silent_hours": "72", "silent_score_below": "5", "note": "下载更重要"}  # fmt: skip
    assert client.post("/settings/engagement/", form).status_code == 302
    assert EngagementPolicy.objects.get().weight_downloaded == 6
    bad = client.post("/settings/engagement/", {**form, "half_life_days": "0"})
    assert bad.status_code == 200 and EngagementPolicy.objects.count() == 1


def test_the_panel_and_the_booking_page_read_in_english(deal, clock, login, client):
    link = send(deal, clock, kind=TrackedLink.Kind.BOOKING)
    rep = login(deal.rep)
    rep.cookies["django_language"] = "en"
    panel = rep.get(f"/deals/{deal.opportunity.external_id}/tracking/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Tracked links and engagement" in panel and "Create a tracked link" in panel
    page = client.get(f"/t/{tracked_link_token(link=link)}", HTTP_USER_AGENT=BROWSER, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Book a 30-minute meeting with" in page and "Confirm" in page
