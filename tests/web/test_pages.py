"""Workbench, account 360, team view: what they show, empty states, HTMX partials, CSRF and escaping."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from tests.factories.sales import AccountFactory, ActivityFactory, ContactFactory, LeadFactory, OpportunityFactory, TaskFactory
from xiaoguan.activities.models import Task
from xiaoguan.customers.models import Contact
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.receivables.models import Invoice
from xiaoguan.targets.models import Target

pytestmark = pytest.mark.django_db


def test_workbench_shows_overdue_and_todays_tasks_new_leads_and_my_numbers(org, login, clock):  # type: ignore[no-untyped-def]
    # given a rep on Wednesday 10:00 with an overdue and a later-today to-do, a new lead, an open and a won deal, and a target
    now = clock.set("2025-03-05 10:00")
    account = AccountFactory(owner=org.rep, name="恒瑞精密")
    TaskFactory(owner=org.rep, title="昨天该回的电话", due_at=now - timedelta(hours=20), account=account)
    TaskFactory(owner=org.rep, title="下午送样品", due_at=now + timedelta(hours=5))
    TaskFactory(owner=org.rep, title="下周的事", due_at=now + timedelta(days=6))
    LeadFactory(owner=org.rep, name="待联系的林先生", status=Lead.Status.ASSIGNED)
    OpportunityFactory(account=account, amount=Decimal("300000"))
    OpportunityFactory(account=account, amount=Decimal("500000"), status=Opportunity.Status.WON, closed_at=now - timedelta(days=2))
    ActivityFactory(owner=org.rep, account=account, occurred_at=now - timedelta(days=1))
    Target.objects.create(external_id="t1", period="2025-03", scope_kind="user", user=org.rep, amount=Decimal("1000000"))
    # when the rep opens the workbench
    html = login(org.rep).get("/").content.decode()
    # then both to-dos of today show (the overdue one flagged), next week's does not
    assert "昨天该回的电话" in html and "已逾期 1 项" in html and "下午送样品" in html and "下周的事" not in html
    assert "待联系的林先生" in html
    # and the numbers: 1 activity this week, ¥30万 open, ¥50万 won = 50% of target
    assert "¥30.0万" in html and "¥50.0万" in html and "50%" in html


def test_workbench_empty_states_explain_what_to_do(org, login):  # type: ignore[no-untyped-def]
    html = login(org.rep).get("/").content.decode()
    assert "今天没有待办" in html and "下次跟进" in html
    assert "本月还没有设定目标" in html


def test_finance_workbench_lists_invoices_due(org, login, clock):  # type: ignore[no-untyped-def]
    now = clock.set("2025-03-05 10:00")
    Invoice.objects.create(account=AccountFactory(owner=org.rep, name="欠款客户"), amount=Decimal("120000"),
                           issued_on=(now - timedelta(days=40)).date(), due_on=(now - timedelta(days=5)).date())
    html = login(org.finance).get("/").content.decode()
    assert "欠款客户" in html and "¥120,000" in html


def test_ticking_a_task_done_returns_its_row_and_can_be_undone(org, login):  # type: ignore[no-untyped-def]
    task = TaskFactory(owner=org.rep, title="回访")
    client = login(org.rep)
    response = client.post(f"/tasks/{task.external_id}/done/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "已完成" in response.content.decode() and "<html" not in response.content.decode()
    task.refresh_from_db()
    assert task.done_at is not None
    client.post(f"/tasks/{task.external_id}/undo/", HTTP_HX_REQUEST="true")
    task.refresh_from_db()
    assert task.done_at is None
    # another rep's task is not found
    assert login(org.rep2).post(f"/tasks/{task.external_id}/done/").status_code == 404


def test_account_page_shows_contacts_deals_timeline_touches_invoices_and_history(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep, name="云帆医疗")
    ContactFactory(account=account, name="陈晓燕", title="采购经理")
    OpportunityFactory(account=account, name="云帆检测设备项目")
    ActivityFactory(owner=org.rep, account=account, content="现场演示检测设备")
    Invoice.objects.create(account=account, amount=Decimal("88000"), issued_on="2025-02-01", due_on="2025-03-01")
    client = login(org.rep)
    client.post(f"/customers/{account.external_id}/contacts/new/", {"name": "王建国", "phone": "13900000000"})
    html = client.get(f"/customers/{account.external_id}/").content.decode()
    for text in ("陈晓燕", "王建国", "云帆检测设备项目", "现场演示检测设备", "¥88,000", "变更记录", "新增联系人 王建国"):
        assert text in html, text


def test_account_timeline_shows_the_25_newest_and_loads_more(org, login, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    from tests.factories.sales import T0

    account = AccountFactory(owner=org.rep)
    for i in range(60):
        ActivityFactory(owner=org.rep, account=account, content=f"第{i:02d}次跟进", occurred_at=T0 + timedelta(hours=i))
    client = login(org.rep)
    with django_assert_max_num_queries(25):
        html = client.get(f"/customers/{account.external_id}/").content.decode()
    assert "第59次跟进" in html and "第35次跟进" in html and "第34次跟进" not in html and "更早的记录" in html
    more = client.get(f"/customers/{account.external_id}/timeline/", {"offset": "25"}, HTTP_HX_REQUEST="true").content.decode()
    assert "第34次跟进" in more and "第10次跟进" in more and "第09次跟进" not in more and "offset=50" in more
    last = client.get(f"/customers/{account.external_id}/timeline/", {"offset": "50"}, HTTP_HX_REQUEST="true").content.decode()
    assert "第09次跟进" in last and "第00次跟进" in last and "更早的记录" not in last


def test_a_contact_without_a_name_is_refused_and_nothing_is_saved(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep)
    response = login(org.rep).post(f"/customers/{account.external_id}/contacts/new/", {"name": "", "email": "not-an-email"})
    assert response.status_code == 422
    assert not Contact.objects.exists()


def test_team_view_shows_each_reps_figures(org, login, clock):  # type: ignore[no-untyped-def]
    # given, for 李娜: 3 activities this week and one 10 days ago, an open deal, an overdue to-do and an uncontacted lead
    now = clock.set("2025-03-12 10:00")
    account = AccountFactory(owner=org.rep)
    for days in (1, 2, 3, 10):
        ActivityFactory(owner=org.rep, account=account, occurred_at=now - timedelta(days=days))
    OpportunityFactory(account=account, amount=Decimal("250000"))
    TaskFactory(owner=org.rep, due_at=now - timedelta(days=1))
    TaskFactory(owner=org.rep, due_at=now - timedelta(days=1), done_at=now - timedelta(hours=1))
    LeadFactory(owner=org.rep, status=Lead.Status.ASSIGNED)
    LeadFactory(owner=org.west_rep, status=Lead.Status.ASSIGNED)
    # when the manager opens the team view
    response = login(org.manager).get("/team/")
    rows = {row["person"].name: row for row in response.context["rows"]}
    # then the figures per rep are right, and the other region's rep is not there
    assert set(rows) == {"李娜", "张伟"}
    assert (rows["李娜"]["activities"], rows["李娜"]["open_deals"], rows["李娜"]["open_amount"]) == (3, 1, Decimal("250000"))
    assert (rows["李娜"]["overdue"], rows["李娜"]["uncontacted"]) == (1, 1)
    assert rows["李娜"]["last_activity_at"] == now - timedelta(days=1)
    assert rows["张伟"]["activities"] == 0 and rows["张伟"]["last_activity_at"] is None
    assert Task.objects.count() == 2


def test_reps_and_finance_have_no_team_view(org, login):  # type: ignore[no-untyped-def]
    assert login(org.rep).get("/team/").status_code == 403
    assert login(org.finance).get("/team/").status_code == 403
    assert "/team/" not in login(org.rep).get("/").content.decode()
    assert "/team/" in login(org.manager).get("/").content.decode()


def test_menu_shows_only_what_works_for_the_role(org, login):  # type: ignore[no-untyped-def]
    finance = login(org.finance).get("/").content.decode()
    assert "/leads/" not in finance and "/deals/" not in finance and "/customers/" in finance
    admin = login(org.admin).get("/").content.decode()
    assert "/manage/handover/" in admin and "/manage/invite/" in admin


def test_posts_without_a_csrf_token_are_refused(org):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep)
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rep)
    html = client.get(f"/customers/{account.external_id}/").content.decode()
    assert "csrfmiddlewaretoken" in html and '"X-CSRFToken"' in html  # forms and HTMX both carry it
    response = client.post(f"/customers/{account.external_id}/contacts/new/", {"name": "无令牌"})
    assert response.status_code == 403
    assert not Contact.objects.exists()


def test_user_text_is_escaped(org, login):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=org.rep, name="<script>alert(1)</script>客户")
    ActivityFactory(owner=org.rep, account=account, content="<img src=x onerror=alert(2)>")
    html = login(org.rep).get(f"/customers/{account.external_id}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;客户" in html
    assert "<img src=x" not in html


def test_team_activity_counts_equal_those_through_the_visibility_selector(org, login, clock):  # type: ignore[no-untyped-def]
    # given activities of the manager's reps, some on accounts of other people, and one of another region
    from xiaoguan.activities.selectors import activity_list_by_owners, activity_list_visible_to

    now = clock.set("2025-03-12 10:00")
    for owner, account_owner in ((org.rep, org.rep), (org.rep, org.rep2), (org.rep2, org.west_rep), (org.west_rep, org.west_rep)):
        ActivityFactory(owner=owner, account=AccountFactory(owner=account_owner), occurred_at=now - timedelta(days=1))
    for viewer in (org.manager, org.director):
        people = [row["person"].pk for row in login(viewer).get("/team/").context["rows"]]
        # then counting by owner gives exactly the visible activities of those people
        direct = sorted(activity_list_by_owners(user=viewer, owners=people).values_list("pk", flat=True))
        through_selector = sorted(activity_list_visible_to(user=viewer).filter(owner_id__in=people).values_list("pk", flat=True))
        assert direct == through_selector and direct


def test_import_entry_shows_for_admins_and_reps_only_and_opens(org, login):  # type: ignore[no-untyped-def]
    from django.urls import NoReverseMatch, reverse

    try:
        bulk, sheet = reverse("web:import_home"), reverse("web:leads_import")
    except NoReverseMatch:
        pytest.skip("the import pages are not installed")
    # the admin's menu leads to the bulk upload, a rep's to their own lead sheet; both open
    admin, rep = login(org.admin), login(org.rep)
    assert bulk in admin.get("/").content.decode() and admin.get(bulk).status_code == 200
    assert sheet in rep.get("/").content.decode() and rep.get(sheet).status_code == 200
    # a manager and finance see no import entry
    for who in (org.manager, org.finance):
        html = login(who).get("/").content.decode()
        assert bulk not in html and f'href="{sheet}"' not in html
