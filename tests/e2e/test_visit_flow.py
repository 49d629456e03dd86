"""A rep logs a visit on a phone; the manager sees it on the account timeline; another rep cannot open the account."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.e2e.conftest import DESKTOP, PHONE, horizontal_overflow, log_in
from tests.e2e.world import PASSWORD, build_world
from xiaoguan.activities.models import Activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VISIT = "拜访设备科王科长：二期产线改造预算 80 万已批，下周二安排技术交流。"


def test_rep_logs_a_visit_on_a_phone_and_the_manager_sees_it(browser, live_server, shot):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    # given 华东大区 with a manager and four reps, and one of 李娜's accounts
    world = build_world(now=timezone.now())
    rep, colleague, manager = world.rep, world.reps[1], world.manager
    account = next(a for a in world.accounts if a.owner_id == rep.pk)
    base = live_server.url

    # when 李娜 logs in on a 390×844 phone, at the customer's site (the phone shares its position)
    phone = browser.new_context(**PHONE, locale="zh-CN", permissions=["geolocation"], geolocation={"latitude": 31.2989, "longitude": 120.5853})
    page = phone.new_page()
    page.goto(f"{base}/auth/login/")
    shot(page, "rep-login")
    log_in(page, base, rep.email, PASSWORD)
    expect(page.locator("h1")).to_contain_text(rep.name)
    assert horizontal_overflow(page) == 0
    shot(page, "rep-workbench")

    # and opens the customer from the bottom tab bar
    page.locator(".tabbar").get_by_text("客户").click()
    page.get_by_role("link", name=account.name).click()
    expect(page.locator("h1")).to_have_text(account.name)
    assert horizontal_overflow(page) == 0
    shot(page, "rep-account")

    # and logs a visit from the account page: the account is preselected, the time defaults to now
    page.locator(".page-head").get_by_role("link", name="记一笔").click()
    expect(page.locator(f"input[name=subject][value='account:{account.external_id}']")).to_be_checked()
    page.locator(".chips").get_by_text("拜访", exact=True).click()
    page.fill("textarea[name=content]", VISIT)
    expect(page.locator(".geo.ok")).to_be_visible()
    assert horizontal_overflow(page) == 0
    shot(page, "rep-quick-log")
    page.get_by_role("button", name="保存").click()

    # then she lands on the account timeline with the visit on top
    page.wait_for_url(f"{base}/customers/{account.external_id}/")
    expect(page.locator("#timeline .timeline > li").first).to_contain_text(VISIT)
    expect(page.locator(".messages")).to_contain_text("已记录一条跟进")
    shot(page, "rep-timeline")
    visit = Activity.objects.get(content=VISIT)
    assert (visit.owner_id, visit.account_id, visit.kind) == (rep.pk, account.pk, Activity.Kind.VISIT)
    assert visit.lat is not None and visit.lng is not None
    assert abs((visit.recorded_at - timezone.now()).total_seconds()) < 120

    # when the manager, in a second browser context on a desktop, opens the account
    desk = browser.new_context(**DESKTOP, locale="zh-CN")
    boss = desk.new_page()
    log_in(boss, base, manager.email, PASSWORD)
    boss.goto(f"{base}/customers/{account.external_id}/")
    # then the visit is on the timeline, by 李娜, marked as located
    first = boss.locator("#timeline .timeline > li").first
    expect(first).to_contain_text(VISIT)
    expect(first).to_contain_text(rep.name)
    expect(first).to_contain_text("已定位")
    shot(boss, "manager-account-timeline")

    # when another rep of the same team tries the account's address
    other = browser.new_context(**PHONE, locale="zh-CN").new_page()
    log_in(other, base, colleague.email, PASSWORD)
    response = other.goto(f"{base}/customers/{account.external_id}/")
    # then it is not found, and the page says so without a word about the account
    assert response is not None and response.status == 404
    expect(other.locator("body")).to_contain_text("找不到这个页面")
    expect(other.locator("body")).not_to_contain_text(account.name)
    shot(other, "other-rep-404")
    for context in (phone, desk, other.context):
        context.close()
