"""Per-user Excel exports of the lead, customer and deal lists: same selectors and filters as the pages.

Cells go through `spreadsheet_safe` (no formula injection) and phones are masked as in the lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from xiaoguan.core.clock import clock_today
from xiaoguan.customers.models import Account
from xiaoguan.interchange.xlsx import spreadsheet_safe
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.opportunities.selectors import opportunity_search
from xiaoguan.org.selectors import user_list_visible_to
from xiaoguan.org.visibility import phone_for
from xiaoguan.web.forms import BoardFilterForm
from xiaoguan.web.views.accounts import account_filtered, account_filters
from xiaoguan.web.views.common import AuthedRequest
from xiaoguan.web.views.leads import lead_filters, lead_inbox

# A spreadsheet is for a person to read; beyond this the interchange export (`xiaoguan export`) is the tool.
EXPORT_MAX_ROWS = 20_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return spreadsheet_safe(value if value is not None else "")


def _lead_rows(request: AuthedRequest) -> tuple[list[str], Iterator[list[Any]]]:
    user = request.user
    _form, f = lead_filters(request)
    leads = lead_inbox(request, f)
    header = [_("编号"), _("姓名"), _("公司"), _("手机"), _("邮箱"), _("来源"), _("状态"), _("行业"), _("城市"), _("预算"), _("负责人"), _("创建时间")]
    rows = (
        [
            lead.external_id, lead.name, lead.company, phone_for(user=user, owner_id=lead.owner_id, phone=lead.phone), lead.email,
            lead.get_source_display(), lead.get_status_display(), lead.industry, lead.city, lead.budget,
            str(lead.owner) if lead.owner else "", lead.created_at,
        ]
        for lead in leads[: EXPORT_MAX_ROWS + 1]
    )
    return header, rows


def _account_rows(request: AuthedRequest) -> tuple[list[str], Iterator[list[Any]]]:
    _form, f = account_filters(request)
    accounts = account_filtered(request, f)
    header = [_("编号"), _("客户名称"), _("类型"), _("行业"), _("城市"), _("规模"), _("等级"), _("负责人"), _("下次跟进"), _("创建时间")]
    rows = (
        [
            a.external_id, a.name, a.get_kind_display(), a.industry, a.city, a.size, a.grade, str(a.owner) if a.owner else "",
            a.next_follow_up_at, a.created_at,
        ]
        for a in accounts[: EXPORT_MAX_ROWS + 1]
    )
    return header, rows


def _opportunity_rows(request: AuthedRequest) -> tuple[list[str], Iterator[list[Any]]]:
    user = request.user
    form = BoardFilterForm(request.GET, owners=user_list_visible_to(user=user))
    f = form.cleaned_data if form.is_valid() else {}
    status = request.GET.get("status", "")
    deals = opportunity_search(
        user=user, query=f.get("q") or "", status=status if status in Opportunity.Status.values else "", pipeline=f.get("pipeline")
    )
    if f.get("owner"):
        deals = deals.filter(owner=f["owner"])
    header = [_("编号"), _("商机名称"), _("客户"), _("负责人"), _("阶段"), _("状态"), _("金额"), _("产品线"), _("预计成交"), _("创建时间"), _("关闭时间"), _("输单原因")]
    rows = (
        [
            o.external_id, o.name, o.account.name, str(o.owner), o.stage.name, o.get_status_display(), o.amount, o.product_line,
            o.expected_close, o.created_at, o.closed_at, o.lost_reason,
        ]
        for o in deals[: EXPORT_MAX_ROWS + 1]
    )
    return header, rows


EXPORTS: dict[str, tuple[Callable[[AuthedRequest], tuple[list[str], Iterator[list[Any]]]], Any]] = {
    "leads": (_lead_rows, Lead._meta.verbose_name_plural),
    "accounts": (_account_rows, Account._meta.verbose_name_plural),
    "opportunities": (_opportunity_rows, Opportunity._meta.verbose_name_plural),
}


@login_required
def export(request: AuthedRequest, kind: str) -> HttpResponse:
    if kind not in EXPORTS:
        raise Http404
    build, title = EXPORTS[kind]
    header, rows = build(request)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    sheet.append([spreadsheet_safe(h) for h in header])
    for index, row in enumerate(rows):
        if index == EXPORT_MAX_ROWS:
            sheet.append([_("仅导出了前 %(n)s 行，请缩小筛选范围。") % {"n": EXPORT_MAX_ROWS}])
            break
        sheet.append([_cell(v) for v in row])
    response = HttpResponse(content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{kind}-{clock_today():%Y%m%d}.xlsx"'
    workbook.save(response)
    return response
