"""/api/leads: list, read, create, edit, disqualify, convert."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

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
from xiaoguan.capture.models import LeadCapture
from xiaoguan.capture.selectors import capture_by_idempotency_key
from xiaoguan.capture.services import (
    CaptureResult,
    capture_lead,
    capture_replay,
    request_fingerprint,
)
from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.leads.models import Lead
from xiaoguan.leads.selectors import lead_list_visible_to, lead_search
from xiaoguan.leads.services import lead_convert, lead_disqualify, lead_update
from xiaoguan.org.models import Role, User
from xiaoguan.org.visibility import can_change

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


IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 200
_IDEMPOTENCY_DOC = {
    "parameters": [{
        "in": "header", "name": IDEMPOTENCY_HEADER, "required": False, "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX},
        "description": "同一令牌用同一个键重复提交，返回第一次的结果，不会重复写入；同一个键配另一个请求体则返回 422。",
    }],
}


def _lead_owner_default(user: User) -> User | None:
    """A person entering a lead owns it; an admin's token (the website's backend, an integration) has it routed."""
    return None if user.role == Role.ADMIN or user.is_superuser else user


@router.post("", response=with_errors({200: LeadOut, 201: LeadOut}), summary="新建线索", openapi_extra=_IDEMPOTENCY_DOC)
def leads_create(request: HttpRequest, payload: LeadIn) -> Any:
    """Goes through capture: a lead matching an open one (same phone or e-mail) is merged into it (200, the existing
    lead, its owner told); one of an existing customer is linked to that account; a new one is 201. Without
    `owner_id` the caller owns it, except an admin's token, whose leads are routed by the routing rules.
    Header `X-Capture-Outcome`: created / merged / linked."""
    user = viewer(request)
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationFailedError(field_errors={IDEMPOTENCY_HEADER: [_("最多 %(n)s 个字") % {"n": IDEMPOTENCY_KEY_MAX}]})
    body = payload.model_dump(mode="json")
    fingerprint = request_fingerprint(body)
    if key and (earlier := capture_by_idempotency_key(user=user, key=key)) is not None:
        return _replayed(earlier, fingerprint)
    refs = References(viewer=user)
    owner = refs.user("owner_id", payload.owner_id) if payload.owner_id else _lead_owner_default(user)
    region = refs.region("region_id", payload.region_id)
    refs.check()
    if owner is not None and not can_change(user=user, owner=owner):
        raise NotAllowedError()
    if not (payload.name.strip() or payload.company.strip()):
        raise ValidationFailedError(field_errors={"name": [_("姓名和公司至少填写一项")]})
    fields = {**{f: getattr(payload, f) for f in ("name", "company", "phone", "email", "industry", "city", "company_size", "budget")}, "region": region}
    def respond(result: CaptureResult) -> tuple[int, Any]:
        # Inside capture's write transaction: the answer is stored with the capture row (a repeated key replays it).
        assert result.lead is not None  # noqa: S101 - capture_lead always returns the lead it made or merged into
        return (201 if result.created else 200), LeadOut.of(result.lead, viewer=user).model_dump(mode="json")

    try:
        result = capture_lead(
            source=payload.source.value, fields=fields, raw=body, now=clock_now(), ip=request.META.get("REMOTE_ADDR") or None,
            owner=owner, by=user, user=user, idempotency_key=key, request_hash=fingerprint, respond=respond,
        )
    except IntegrityError:
        # Two requests with the same key at once: the second one's insert hit the unique key; answer as the first did.
        earlier = capture_by_idempotency_key(user=user, key=key) if key else None
        if earlier is None:
            raise
        return _replayed(earlier, fingerprint)
    return _answer(result.capture.response_status or 200, result.capture.response_body, outcome=result.outcome)


def _replayed(earlier: LeadCapture, fingerprint: str) -> HttpResponse:
    """The first answer again; another body under the same key is a 422 `idempotency_key_reused`."""
    status, out = capture_replay(capture=earlier, request_hash=fingerprint)
    answer = _answer(status, out, outcome=earlier.outcome)
    answer["Idempotent-Replayed"] = "true"
    return answer


def _answer(status: int, body: Any, *, outcome: str) -> HttpResponse:
    # The body is the LeadOut the capture stored with its row (already validated and in JSON form): sent as it is,
    # not validated and rendered a second time by the response schema.
    answer = JsonResponse(body, status=status, safe=False)
    answer["X-Capture-Outcome"] = outcome
    return answer


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
