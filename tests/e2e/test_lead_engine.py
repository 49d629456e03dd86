"""A customer fills in the website form; the rule's rep sees it in the bell and the inbox within 2 seconds."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from tests.e2e.conftest import DESKTOP, PHONE, horizontal_overflow, log_in
from tests.e2e.world import PASSWORD, build_world
from xiaoguan.capture.services import web_form_save
from xiaoguan.leads.models import Lead, LeadAssignment
from xiaoguan.org.models import User
from xiaoguan.routing.services import rule_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_web_form_lead_reaches_the_rules_rep_in_two_seconds(browser, live_server, shot):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    # given 华东大区 and a rule "苏州/无锡 制造业 → 张伟 only", and the company's website form
    now = timezone.now()
    world = build_world(now=now)
    admin = User.objects.get(email="admin@example.cn")
    target = world.reps[1]
    rule_create(by=admin, now=now, values={
        "name": "苏锡制造业", "conditions": {"cities": ["苏州", "无锡"], "industries": ["制造业"]}, "target_rep_ids": [target.pk],
    })
    form = web_form_save(by=admin, now=now, values={
        "name": "官网咨询", "title": "预约产品演示", "team": world.region, "fields": ["name", "company", "phone", "city", "industry"],
    })
    base = live_server.url

    # and 张伟 has the app open on his phone
    phone = browser.new_context(**PHONE, locale="zh-CN")
    rep_page = phone.new_page()
    log_in(rep_page, base, target.email, PASSWORD)
    expect(rep_page.locator(".topbar .bell")).to_be_visible()
    shot(rep_page, "rep-before")

    # when a visitor fills in the form on the website (a separate browser, no login)
    visitor = browser.new_context(**DESKTOP, locale="zh-CN").new_page()
    visitor.goto(f"{base}/f/{form.token}/")
    shot(visitor, "web-form")
    visitor.fill("input[name=name]", "顾建华")
    visitor.fill("input[name=company]", "苏州工业园区精工机械有限公司")
    visitor.fill("input[name=phone]", "+86 139-1234-5678")
    visitor.fill("input[name=city]", "苏州市")
    if visitor.locator("[name=industry]").count():
        field = visitor.locator("[name=industry]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(label="制造业")
        else:
            field.fill("制造业")
    submitted = time.monotonic()
    visitor.locator("form button[type=submit]").click()
    visitor.wait_for_load_state()
    shot(visitor, "thank-you")

    # then within 2 seconds the bell on 张伟's phone shows it, without reloading
    expect(rep_page.locator(".topbar .bell-count")).to_have_text("1", timeout=2000)
    seen = time.monotonic() - submitted
    assert seen < 2.0, seen
    shot(rep_page, "rep-bell")

    # and the lead is his, with the rule and the reason recorded, its first-contact clock running
    lead = Lead.objects.get(phone_key="13912345678")
    assert lead.owner == target and lead.source == Lead.Source.WEB_FORM
    assignment = LeadAssignment.objects.get(lead=lead)
    assert assignment.rule_name == "苏锡制造业" and "苏锡制造业" in assignment.reason
    assert lead.first_contact_due_at is not None

    # and his inbox shows it with the clock and one-tap call
    rep_page.locator(".topbar .bell").click()
    expect(rep_page.locator(".notice-list")).to_contain_text("顾建华")
    shot(rep_page, "rep-notifications")
    rep_page.goto(f"{base}/leads/")
    row = rep_page.locator("tr", has_text="顾建华")
    expect(row.locator(".pill.sla")).to_be_visible()
    expect(row.locator("a.tel")).to_have_attribute("href", "tel:+86 139-1234-5678")
    assert horizontal_overflow(rep_page) == 0
    shot(rep_page, "rep-inbox")

    # and the manager's SLA board counts it
    desk = browser.new_context(**DESKTOP, locale="zh-CN").new_page()
    log_in(desk, base, world.manager.email, PASSWORD)
    desk.goto(f"{base}/leads-sla/")
    expect(desk.locator("h1")).to_have_text("线索时效看板")
    expect(desk.locator("#sla-board")).to_contain_text(target.name)
    shot(desk, "manager-sla-board")
