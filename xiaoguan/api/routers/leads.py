"""/api/leads: list, read, create, edit, disqualify, convert."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from xiaoguan.api.auth import viewer
from xiaoguan.api.errors import with_errors
from xiaoguan.api.pagination import PageParams, page_build
from xiaoguan.api.refs import References, plain_values, visible_or_404
from xiaoguan.api.schemas.common import ExternalId
from xiaoguan.api.schemas.customers import AccountOut, ContactOut
from xiaoguan.api.schemas.leads import (
    LeadConvertIn,
    LeadConvertOut,
    LeadDisqualifyIn,
    LeadFilters,
    LeadIn,
    LeadOut,
    LeadPage,
    LeadPatch,
)
from xiaoguan.api.schemas.opportunities import OpportunityOut
from xiaoguan.core.clock import clock_now
from xiaoguan.leads.models import Lead
from xiaoguan.leads.selectors import lead_list_visible_to, lead_search
from xiaoguan.leads.services import lead_convert, lead_create, lead_disqualify, lead_update
from xiaoguan.org.models import User

router = Router(tags=["leads 线索"])


def _lead(user: User, lead_id: str) -> Lead:
    return visible_or_404(lead_list_visible_to(user=user), lead_id)


@router.get("", response=with_errors({200: LeadPage}), summary="线索列表")
def leads_list(request: HttpRequest, filters: Query[LeadFilters], page: Query[PageParams]) -> Any:
    """Newest first. Filters combine with AND."""
    user = viewer(request)
    leads = lead_search(user=user, query=filters.q, status=filters.status or "", source=filters.source or "")
    if filters.owner_id:
        leads = leads.filter(owner__external_id=filters.owner_id)
    if filters.created_after is not None:
        leads = leads.filter(created_at__gte=filters.created_after)
    if filters.created_before is not None:
        leads = leads.filter(created_at__lt=filters.created_before)
    leads = leads.select_related("converted_account", "converted_opportunity")
    return page_build(request=request, queryset=leads, params=page, item=lambda lead: LeadOut.of(lead, viewer=user))


@router.get("/{lead_id}", response=with_errors({200: LeadOut}), summary="线索详情")
def leads_get(request: HttpRequest, lead_id: ExternalId) -> Any:
    user = viewer(request)
    return LeadOut.of(_lead(user, lead_id), viewer=user)


@router.post("", response=with_errors({201: LeadOut}), summary="新建线索")
def leads_create(request: HttpRequest, payload: LeadIn) -> Any:
    user = viewer(request)
    refs = References(viewer=user)
    owner = refs.user("owner_id", payload.owner_id)
    region = refs.region("region_id", payload.region_id)
    refs.check()
    lead = lead_create(
        by=user, now=clock_now(), owner=owner, source=payload.source.value, name=payload.name, company=payload.company,
        phone=payload.phone, email=payload.email, industry=payload.industry, region=region, city=payload.city,
        company_size=payload.company_size, budget=payload.budget,
    )
    return Status(201, LeadOut.of(lead, viewer=user))


@router.patch("/{lead_id}", response=with_errors({200: LeadOut}), summary="修改线索")
def leads_update(request: HttpRequest, lead_id: ExternalId, payload: LeadPatch) -> Any:
    user = viewer(request)
    lead = _lead(user, lead_id)
    values = plain_values(payload.model_dump(exclude_unset=True))
    if "region_id" in values:
        refs = References(viewer=user)
        values["region"] = refs.region("region_id", values.pop("region_id"))
        refs.check()
    lead = lead_update(lead=lead, by=user, now=clock_now(), values=values)
    return LeadOut.of(lead, viewer=user)


@router.post("/{lead_id}/disqualify", response=with_errors({200: LeadOut}), summary="标记为无效线索")
def leads_disqualify(request: HttpRequest, lead_id: ExternalId, payload: LeadDisqualifyIn) -> Any:
    user = viewer(request)
    lead = lead_disqualify(lead=_lead(user, lead_id), by=user, now=clock_now(), reason=payload.reason)
    return LeadOut.of(lead, viewer=user)


@router.post("/{lead_id}/convert", response=with_errors({200: LeadConvertOut}), summary="转化为客户和商机")
def leads_convert(request: HttpRequest, lead_id: ExternalId, payload: LeadConvertIn) -> Any:
    """A new account (`account_name`, default the lead's company) or an existing one (`account_id`), plus a contact and a deal."""
    user = viewer(request)
    lead = _lead(user, lead_id)
    refs = References(viewer=user)
    account = refs.account("account_id", payload.account_id)
    pipeline = refs.pipeline("pipeline", payload.pipeline)
    refs.check()
    result = lead_convert(
        lead=lead, by=user, now=clock_now(), account=account, account_name=payload.account_name,
        create_contact=payload.create_contact, create_opportunity=payload.create_opportunity,
        opportunity_name=payload.opportunity_name, product_line=payload.product_line, amount=payload.amount, pipeline=pipeline,
    )
    return LeadConvertOut(
        lead=LeadOut.of(lead, viewer=user),
        account=AccountOut.of(result.account),
        contact=ContactOut.of(result.contact, viewer=user) if result.contact else None,
        opportunity=OpportunityOut.of(result.opportunity) if result.opportunity else None,
    )
