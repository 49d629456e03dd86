"""/api/invoices and /api/targets: read-only (finance edits them through imports, not the API)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router

from xiaoguan.api.auth import viewer
from xiaoguan.api.errors import with_errors
from xiaoguan.api.pagination import PageParams, page_build
from xiaoguan.api.refs import visible_or_404
from xiaoguan.api.schemas.common import ExternalId
from xiaoguan.api.schemas.finance import InvoiceFilters, InvoiceOut, InvoicePage, TargetFilters, TargetOut, TargetPage
from xiaoguan.receivables.selectors import invoice_list_visible_to
from xiaoguan.targets.selectors import target_list_visible_to

invoices_router = Router(tags=["finance 应收与目标"])
targets_router = Router(tags=["finance 应收与目标"])


@invoices_router.get("", response=with_errors({200: InvoicePage}), summary="应收列表")
def invoices_list(request: HttpRequest, filters: Query[InvoiceFilters], page: Query[PageParams]) -> Any:
    """Earliest due first."""
    invoices = invoice_list_visible_to(user=viewer(request))
    if filters.account_id:
        invoices = invoices.filter(account__external_id=filters.account_id)
    if filters.opportunity_id:
        invoices = invoices.filter(opportunity__external_id=filters.opportunity_id)
    if filters.paid is not None:
        invoices = invoices.filter(paid_on__isnull=not filters.paid)
    if filters.due_before is not None:
        invoices = invoices.filter(due_on__lt=filters.due_before)
    return page_build(request=request, queryset=invoices.order_by("due_on", "pk"), params=page, item=InvoiceOut.of)


@invoices_router.get("/{invoice_id}", response=with_errors({200: InvoiceOut}), summary="应收详情")
def invoices_get(request: HttpRequest, invoice_id: ExternalId) -> Any:
    return InvoiceOut.of(visible_or_404(invoice_list_visible_to(user=viewer(request)), invoice_id))


@targets_router.get("", response=with_errors({200: TargetPage}), summary="目标列表")
def targets_list(request: HttpRequest, filters: Query[TargetFilters], page: Query[PageParams]) -> Any:
    targets = target_list_visible_to(user=viewer(request))
    if filters.period:
        targets = targets.filter(period=filters.period)
    if filters.scope_kind is not None:
        targets = targets.filter(scope_kind=filters.scope_kind.value)
    if filters.scope_id:
        targets = targets.filter(Q(user__external_id=filters.scope_id) | Q(team__external_id=filters.scope_id))
    return page_build(request=request, queryset=targets.order_by("period", "scope_kind", "pk"), params=page, item=TargetOut.of)


@targets_router.get("/{target_id}", response=with_errors({200: TargetOut}), summary="目标详情")
def targets_get(request: HttpRequest, target_id: ExternalId) -> Any:
    return TargetOut.of(visible_or_404(target_list_visible_to(user=viewer(request)), target_id))
