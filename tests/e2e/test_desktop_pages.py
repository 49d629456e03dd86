"""The main pages on a 1280×800 desktop with a realistic team: workbench, lead inbox, account 360, board, team view.

Screenshots land in test-artifacts/e2e/ for a person to look at; the assertions check each page works and fits.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.e2e.conftest import DESKTOP, PHONE, horizontal_overflow, log_in
from tests.e2e.world import PASSWORD, build_world
from xiaoguan.opportunities.models import Opportunity, StageHistory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_desktop_pages_with_a_realistic_team(browser, live_server, shot):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = build_world(now=timezone.now())
    base = live_server.url
    account = next(a for a in world.accounts if a.owner_id == world.rep.pk)
    errors: list[str] = []

    rep = browser.new_context(**DESKTOP, locale="zh-CN").new_page()
    rep.on("pageerror", lambda e: errors.append(str(e)))
    log_in(rep, base, world.rep.email, PASSWORD)
    expect(rep.locator(".figures")).to_contain_text("进行中商机")
    expect(rep.locator("canvas").first).to_be_visible()  # the ECharts bar chart drew
    shot(rep, "workbench")

    rep.goto(f"{base}/leads/")
    expect(rep.locator("#lead-results tbody tr").first).to_be_visible()
    rep.select_option("select[name=status]", "assigned")  # HTMX swaps the results and pushes the URL
    rep.wait_for_url("**/leads/?*status=assigned*")
    expect(rep.locator("#lead-results")).not_to_contain_text("已确认")
    shot(rep, "lead-inbox-filtered")

    rep.goto(f"{base}/customers/{account.external_id}/")
    for section in ("跟进时间线", "商机", "联系人", "触点行为", "发票与回款", "变更记录"):
        expect(rep.locator("main")).to_contain_text(section)
    shot(rep, "account-360")

    manager = browser.new_context(**DESKTOP, locale="zh-CN").new_page()
    manager.on("pageerror", lambda e: errors.append(str(e)))
    log_in(manager, base, world.manager.email, PASSWORD)
    manager.goto(f"{base}/deals/")
    expect(manager.locator(".column")).to_have_count(5)
    assert horizontal_overflow(manager) == 0
    shot(manager, "board")

    # drag a deal from the first column to "需求诊断" (leaving 线索确认 asks for nothing): the board is redrawn and the
    # move, named in the message, is in the stage history
    card = manager.locator(".column[data-stage=lead_confirmed] .deal").first
    card.drag_to(manager.locator(".column[data-stage=needs_diagnosed]"))
    expect(manager.locator("#board .messages")).to_contain_text("已移至")
    moved_name = re.search("“(.+?)”已移至", manager.locator("#board .messages").inner_text())[1]  # type: ignore[index]
    moved = Opportunity.objects.get(name=moved_name)
    assert moved.stage.key == "needs_diagnosed"
    assert StageHistory.objects.filter(opportunity=moved, stage__key="needs_diagnosed").exists()
    shot(manager, "board-after-drag")
    # dragging a deal from "需求诊断" on to "方案演示" without the evidence 需求诊断 asks for is refused with the list
    before = StageHistory.objects.filter(stage__key="solution_demo").count()
    manager.locator(".column[data-stage=needs_diagnosed] .deal").first.drag_to(manager.locator(".column[data-stage=solution_demo]"))
    expect(manager.locator("#board .form-error")).to_contain_text("需求调研表")
    assert StageHistory.objects.filter(stage__key="solution_demo").count() == before
    shot(manager, "board-refused-drag")

    manager.goto(f"{base}/team/")
    expect(manager.locator("table.data tbody tr")).to_have_count(len(world.reps))
    expect(manager.locator("canvas").first).to_be_visible()
    shot(manager, "team")

    # the same board on a phone: columns stack, each card has a "move to" select instead of dragging
    phone = browser.new_context(**PHONE, locale="zh-CN").new_page()
    log_in(phone, base, world.rep.email, PASSWORD)
    phone.goto(f"{base}/deals/")
    move = phone.locator(".deal .move-select").first
    expect(move).to_be_visible()
    assert horizontal_overflow(phone) == 0
    shot(phone, "board-phone")

    # and English
    english = browser.new_context(**DESKTOP, locale="en-US")
    english.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page = english.new_page()
    log_in(page, base, world.manager.email, PASSWORD)
    page.goto(f"{base}/team/")
    expect(page.locator("h1")).to_have_text("Team")
    shot(page, "team-english")
    assert errors == []
