"""The reps' spreadsheet import goes through capture: rows matching someone's open lead are merged, not duplicated."""

from __future__ import annotations

import io

import pytest

from tests.capture.conftest import Org
from tests.factories.sales import AccountFactory, LeadFactory
from xiaoguan.capture.models import LeadCapture
from xiaoguan.core.models import HistoryEntry
from xiaoguan.interchange.leads_sheet import leads_import, mapping_guess, sheet_read
from xiaoguan.leads.models import Lead

pytestmark = pytest.mark.django_db


def test_a_sheet_is_deduplicated_against_open_leads_and_customers(org: Org, now):
    # given 李四's open lead and 李四's customer
    theirs = LeadFactory(owner=org.rep2, status=Lead.Status.ASSIGNED, phone="13900001111", company="")
    account = AccountFactory(name="苏州恒力精密机械有限公司", owner=org.rep2)
    text = "姓名,公司,手机\n陈工,苏州精测仪器有限公司,+86 139-0000-1111\n周工,苏州恒力精密机械(中国)有限公司,13700002222\n王五,新公司,13600003333\n"
    sheet = sheet_read(stream=io.BytesIO(text.encode()), filename="展会.csv")
    # when 张三 imports it
    result = leads_import(sheet=sheet, mapping=mapping_guess(header=sheet.header), user=org.rep, now=now)
    # then the known phone merged into 李四's lead, the customer's person linked to 李四, the rest is 张三's
    assert (result.created, result.merged, result.refused) == (2, 1, 0)
    theirs.refresh_from_db()
    assert theirs.capture_count == 2 and theirs.company == "苏州精测仪器有限公司"
    linked = Lead.objects.get(name="周工")
    assert linked.account == account and linked.owner == org.rep2
    own = Lead.objects.get(name="王五")
    assert own.owner == org.rep and own.status == Lead.Status.ASSIGNED and own.source == Lead.Source.IMPORT
    assert HistoryEntry.objects.filter(action=HistoryEntry.Action.IMPORTED).count() == 2
    assert LeadCapture.objects.filter(source=Lead.Source.IMPORT).count() == 3
