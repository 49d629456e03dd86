"""Writes on leads: create, edit, disqualify, convert into account + contact + opportunity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_record, history_update
from xiaoguan.core.models import HistoryEntry
from xiaoguan.customers.models import Account, Contact
from xiaoguan.customers.services import account_create, contact_create
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity, Pipeline
from xiaoguan.opportunities.services import opportunity_create
from xiaoguan.org.models import Team, User
from xiaoguan.org.visibility import can_change

LEAD_EDITABLE = frozenset({"name", "company", "phone", "email", "industry", "region", "city", "company_size", "budget", "source"})


@transaction.atomic
def lead_create(
    *,
    by: User,
    now: datetime,
    owner: User | None = None,
    source: str = Lead.Source.OTHER,
    name: str = "",
    company: str = "",
    phone: str = "",
    email: str = "",
    industry: str = "",
    region: Team | None = None,
    city: str = "",
    company_size: str = "",
    budget: Decimal | None = None,
) -> Lead:
    """A lead typed in by a person. Owned by its creator unless another owner is given."""
    owner = owner or by
    if not can_change(user=by, owner=owner):
        raise NotAllowedError()
    if not (name.strip() or company.strip()):
        raise ValidationFailedError(field_errors={"name": [_("姓名和公司至少填写一项")]})
    if budget is not None and budget < 0:
        raise ValidationFailedError(field_errors={"budget": [_("预算不能为负数")]})
    lead = Lead(
        created_at=now, source=source, name=name.strip(), company=company.strip(), phone=phone.strip(), email=email.strip(),
        industry=industry.strip(), region=region or (owner.team.region() if owner.team else None), city=city.strip(),
        company_size=company_size, budget=budget, status=Lead.Status.ASSIGNED, owner=owner, assigned_at=now,
    )
    lead.full_clean()
    lead.save()
    history_record(subject=lead, actor=by, action=HistoryEntry.Action.CREATED, at=now)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, by: User, now: datetime, values: dict[str, Any]) -> Lead:
    if not can_change(user=by, owner=lead.owner):
        raise NotAllowedError()
    history_update(instance=lead, values=values, editable=LEAD_EDITABLE, by=by, now=now)
    return lead


@transaction.atomic
def lead_disqualify(*, lead: Lead, by: User, now: datetime, reason: str) -> Lead:
    if not can_change(user=by, owner=lead.owner):
        raise NotAllowedError()
    if lead.is_closed:
        raise InvalidStateError(_("线索已关闭"))
    if not reason.strip():
        raise ValidationFailedError(field_errors={"reason": [_("请填写无效原因")]})
    old = lead.status
    lead.status = Lead.Status.DISQUALIFIED
    lead.save(update_fields=["status", "updated_at"])
    lead_clock_stop(lead_ids=[lead.pk])
    history_record(subject=lead, actor=by, action=HistoryEntry.Action.CLOSED, at=now, changes={"status": [old, lead.status]}, note=reason.strip())
    return lead


@dataclass(frozen=True)
class Conversion:
    account: Account
    contact: Contact | None
    opportunity: Opportunity | None


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by: User,
    now: datetime,
    account: Account | None = None,
    account_name: str = "",
    create_contact: bool = True,
    create_opportunity: bool = True,
    opportunity_name: str = "",
    product_line: str = "",
    amount: Decimal | None = None,
    pipeline: Pipeline | None = None,
) -> Conversion:
    """Turn a lead into a customer: a new account (or an existing one), its contact and a deal."""
    if not can_change(user=by, owner=lead.owner):
        raise NotAllowedError()
    if lead.is_closed:
        raise InvalidStateError(_("线索已关闭，不能转化"))
    if account is not None and not can_change(user=by, owner=account.owner):
        raise NotAllowedError(_("你不能把线索并入别人的客户"))
    owner = lead.owner or by
    if account is None:
        name = (account_name or lead.company or lead.name).strip()
        if not name:
            raise ValidationFailedError(field_errors={"account_name": [_("请填写客户名称")]})
        size = lead.company_size if lead.company_size in Account.Size.values else ""
        account = account_create(by=by, now=now, name=name, owner=owner, industry=lead.industry, region=lead.region, city=lead.city, size=size)
    contact = None
    if create_contact and lead.name:
        contact = contact_create(account=account, by=by, now=now, name=lead.name, phone=lead.phone, email=lead.email)
    opportunity = None
    if create_opportunity:
        opportunity = opportunity_create(
            account=account, by=by, now=now, owner=owner, name=opportunity_name, pipeline=pipeline,
            product_line=product_line, amount=amount if amount is not None else lead.budget,
        )
    changes = {"status": [lead.status, Lead.Status.CONVERTED]}
    lead.status, lead.converted_account, lead.converted_opportunity = Lead.Status.CONVERTED, account, opportunity
    lead.save(update_fields=["status", "converted_account", "converted_opportunity", "updated_at"])
    lead_clock_stop(lead_ids=[lead.pk])
    history_record(subject=lead, actor=by, action=HistoryEntry.Action.CONVERTED, at=now, changes=changes, note=str(account))
    return Conversion(account=account, contact=contact, opportunity=opportunity)


# The lead engine (issue 4): assignment and the lead clock, first contact and the pool.
from xiaoguan.leads.services.assign import (  # noqa: E402
    PlannedAssignment,
    lead_assign,
    lead_assign_bulk,
    lead_assign_plan,
    lead_clock_stop,
)
from xiaoguan.leads.services.pool import (  # noqa: E402
    lead_claim,
    lead_policy_save,
    lead_pool_claims_today,
    lead_release_to_pool,
    lead_touched,
)

__all__ = [
    "Conversion", "PlannedAssignment", "lead_assign", "lead_assign_bulk", "lead_assign_plan", "lead_claim", "lead_clock_stop", "lead_convert", "lead_create",
    "lead_disqualify", "lead_policy_save", "lead_pool_claims_today", "lead_release_to_pool", "lead_touched", "lead_update",
]
