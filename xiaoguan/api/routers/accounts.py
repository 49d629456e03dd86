"""/api/accounts and /api/contacts: list, read, create, edit, add contacts."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from xiaoguan.api.auth import viewer
from xiaoguan.api.errors import with_errors
from xiaoguan.api.pagination import PageParams, page_build
from xiaoguan.api.refs import References, plain_values, visible_or_404
from xiaoguan.api.schemas.common import ExternalId, IdFilter, Query200, Text50
from xiaoguan.api.schemas.customers import AccountIn, AccountOut, AccountPage, AccountPatch, ContactIn, ContactOut, ContactPage
from xiaoguan.core.clock import clock_now
from xiaoguan.customers.models import Account
from xiaoguan.customers.selectors import account_list_visible_to, account_search, contact_list_visible_to
from xiaoguan.customers.services import account_create, account_update, contact_create
from xiaoguan.org.models import User

router = Router(tags=["accounts 客户"])
contacts_router = Router(tags=["accounts 客户"])


class AccountFilters(Schema):
    q: Query200 = Field("", description="客户名称、城市或编号")
    owner_id: IdFilter = ""
    region_id: IdFilter = ""
    industry: Text50 = ""


class ContactFilters(Schema):
    account_id: IdFilter = ""
    q: Query200 = Field("", description="姓名或职务")


def _account(user: User, account_id: str) -> Account:
    return visible_or_404(account_list_visible_to(user=user), account_id)


@router.get("", response=with_errors({200: AccountPage}), summary="客户列表")
def accounts_list(request: HttpRequest, filters: Query[AccountFilters], page: Query[PageParams]) -> Any:
    """Newest first."""
    user = viewer(request)
    accounts = account_search(user=user, query=filters.q)
    if filters.owner_id:
        accounts = accounts.filter(owner__external_id=filters.owner_id)
    if filters.region_id:
        accounts = accounts.filter(region__external_id=filters.region_id)
    if filters.industry:
        accounts = accounts.filter(industry=filters.industry)
    return page_build(request=request, queryset=accounts.order_by("-created_at", "-pk"), params=page, item=AccountOut.of)


@router.get("/{account_id}", response=with_errors({200: AccountOut}), summary="客户详情")
def accounts_get(request: HttpRequest, account_id: ExternalId) -> Any:
    return AccountOut.of(_account(viewer(request), account_id))


@router.post("", response=with_errors({201: AccountOut}), summary="新建客户")
def accounts_create(request: HttpRequest, payload: AccountIn) -> Any:
    user = viewer(request)
    refs = References(viewer=user)
    owner = refs.user("owner_id", payload.owner_id)
    region = refs.region("region_id", payload.region_id)
    refs.check()
    account = account_create(
        by=user, now=clock_now(), name=payload.name, owner=owner, kind=payload.kind.value if payload.kind else "",
        industry=payload.industry, region=region, city=payload.city, size=payload.size.value if payload.size else "",
        grade=payload.grade.value if payload.grade else "", credit_limit=payload.credit_limit,
        payment_terms_days=payload.payment_terms_days, next_follow_up_at=payload.next_follow_up_at,
    )
    return Status(201, AccountOut.of(account))


@router.patch("/{account_id}", response=with_errors({200: AccountOut}), summary="修改客户")
def accounts_update(request: HttpRequest, account_id: ExternalId, payload: AccountPatch) -> Any:
    user = viewer(request)
    account = _account(user, account_id)
    values = plain_values(payload.model_dump(exclude_unset=True), blank_when_null=frozenset({"kind", "size", "grade"}))
    if "region_id" in values:
        refs = References(viewer=user)
        values["region"] = refs.region("region_id", values.pop("region_id"))
        refs.check()
    return AccountOut.of(account_update(account=account, by=user, now=clock_now(), values=values))


@router.get("/{account_id}/contacts", response=with_errors({200: ContactPage}), summary="客户的联系人")
def accounts_contacts(request: HttpRequest, account_id: ExternalId, page: Query[PageParams]) -> Any:
    user = viewer(request)
    account = _account(user, account_id)
    contacts = contact_list_visible_to(user=user).filter(account=account).order_by("pk")
    return page_build(request=request, queryset=contacts, params=page, item=lambda c: ContactOut.of(c, viewer=user))


@router.post("/{account_id}/contacts", response=with_errors({201: ContactOut}), summary="新增联系人")
def accounts_add_contact(request: HttpRequest, account_id: ExternalId, payload: ContactIn) -> Any:
    user = viewer(request)
    contact = contact_create(
        account=_account(user, account_id), by=user, now=clock_now(), name=payload.name, title=payload.title,
        role_in_decision=payload.role_in_decision.value if payload.role_in_decision else "", phone=payload.phone,
        email=payload.email, wechat=payload.wechat,
    )
    return Status(201, ContactOut.of(contact, viewer=user))


@contacts_router.get("", response=with_errors({200: ContactPage}), summary="联系人列表")
def contacts_list(request: HttpRequest, filters: Query[ContactFilters], page: Query[PageParams]) -> Any:
    user = viewer(request)
    contacts = contact_list_visible_to(user=user)
    if filters.account_id:
        contacts = contacts.filter(account__external_id=filters.account_id)
    if filters.q:
        contacts = contacts.filter(Q(name__icontains=filters.q) | Q(title__icontains=filters.q) | Q(external_id=filters.q))
    return page_build(request=request, queryset=contacts.order_by("pk"), params=page, item=lambda c: ContactOut.of(c, viewer=user))


@contacts_router.get("/{contact_id}", response=with_errors({200: ContactOut}), summary="联系人详情")
def contacts_get(request: HttpRequest, contact_id: ExternalId) -> Any:
    user = viewer(request)
    return ContactOut.of(visible_or_404(contact_list_visible_to(user=user), contact_id), viewer=user)
