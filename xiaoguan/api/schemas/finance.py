"""Invoices (应收) and targets (目标): read-only through the API."""

from __future__ import annotations

from datetime import date

from ninja import Field, Schema

from xiaoguan.api.pagination import Page
from xiaoguan.api.schemas.common import DateIn, IdFilter, MoneyOut, QueryBool, Text16, external_id_of, money
from xiaoguan.api.schemas.enums import TargetScopeKind
from xiaoguan.receivables.models import Invoice
from xiaoguan.targets.models import Target


class InvoiceOut(Schema):
    id: str
    account_id: str
    opportunity_id: str | None
    amount: MoneyOut
    issued_on: date
    due_on: date
    paid_on: date | None

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceOut:
        return cls(
            id=invoice.external_id, account_id=invoice.account.external_id, opportunity_id=external_id_of(invoice.opportunity),
            amount=money(invoice.amount), issued_on=invoice.issued_on, due_on=invoice.due_on, paid_on=invoice.paid_on,
        )


class InvoicePage(Page):
    items: list[InvoiceOut]


class InvoiceFilters(Schema):
    account_id: IdFilter = ""
    opportunity_id: IdFilter = ""
    paid: QueryBool | None = Field(None, description="true 已回款；false 未回款")
    due_before: DateIn | None = Field(None, description="到期日 <")


class TargetOut(Schema):
    id: str
    period: str = Field(description="2025-Q4 或 2025-11")
    scope_kind: TargetScopeKind
    scope_id: str = Field(description="人员或团队编号")
    product_line: str
    amount: MoneyOut

    @classmethod
    def of(cls, target: Target) -> TargetOut:
        scope = target.user if target.scope_kind == Target.ScopeKind.USER else target.team
        return cls(
            id=target.external_id, period=target.period, scope_kind=TargetScopeKind(target.scope_kind),
            scope_id=external_id_of(scope) or "", product_line=target.product_line, amount=money(target.amount),
        )


class TargetPage(Page):
    items: list[TargetOut]


class TargetFilters(Schema):
    period: Text16 = ""
    scope_kind: TargetScopeKind | None = None
    scope_id: IdFilter = ""
