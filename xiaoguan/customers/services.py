"""Writes on accounts and contacts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoguan.automation.followup import follow_up_reminder_arm
from xiaoguan.core.errors import NotAllowedError
from xiaoguan.core.history import history_record, history_update
from xiaoguan.core.models import HistoryEntry
from xiaoguan.customers.models import Account, Contact
from xiaoguan.org.models import Team, User
from xiaoguan.org.visibility import can_change

ACCOUNT_EDITABLE = frozenset(
    {"name", "kind", "industry", "region", "city", "size", "grade", "credit_limit", "payment_terms_days", "next_follow_up_at"}
)
CONTACT_EDITABLE = frozenset({"name", "title", "role_in_decision", "phone", "email", "wechat"})
# A contact has no history of its own: its edits go on its account's, keyed "contacts.<field>" so the page can name the field.
CONTACT_HISTORY_PREFIX = "contacts."


@transaction.atomic
def account_create(
    *,
    by: User,
    now: datetime,
    name: str,
    owner: User | None = None,
    kind: str = "",
    industry: str = "",
    region: Team | None = None,
    city: str = "",
    size: str = "",
    grade: str = "",
    credit_limit: Decimal | None = None,
    payment_terms_days: int | None = None,
    next_follow_up_at: datetime | None = None,
) -> Account:
    """Create an account owned by `owner` (default: the creator)."""
    owner = owner or by
    if not can_change(user=by, owner=owner):
        raise NotAllowedError()
    account = Account(
        name=name.strip(), owner=owner, kind=kind, industry=industry, region=region or (owner.team.region() if owner.team else None),
        city=city, size=size, grade=grade, credit_limit=credit_limit, payment_terms_days=payment_terms_days,
        next_follow_up_at=next_follow_up_at, created_at=now,
    )
    account.full_clean()
    account.save()
    history_record(subject=account, actor=by, action=HistoryEntry.Action.CREATED, at=now)
    return account


@transaction.atomic
def account_update(*, account: Account, by: User, now: datetime, values: dict[str, Any]) -> Account:
    """Change editable fields; the history keeps old and new values."""
    if not can_change(user=by, owner=account.owner):
        raise NotAllowedError()
    changes = history_update(instance=account, values=values, editable=ACCOUNT_EDITABLE, by=by, now=now)
    if "next_follow_up_at" in changes:
        follow_up_reminder_arm(subject_kind="account", subject_id=account.pk, due_at=account.next_follow_up_at, now=now)
    return account


@transaction.atomic
def contact_create(
    *,
    account: Account,
    by: User,
    now: datetime,
    name: str,
    title: str = "",
    role_in_decision: str = "",
    phone: str = "",
    email: str = "",
    wechat: str = "",
) -> Contact:
    if not can_change(user=by, owner=account.owner):
        raise NotAllowedError()
    contact = Contact(account=account, name=name.strip(), title=title, role_in_decision=role_in_decision, phone=phone.strip(), email=email, wechat=wechat)
    contact.full_clean()
    contact.save()
    history_record(subject=account, actor=by, action=HistoryEntry.Action.UPDATED, at=now, note=_("新增联系人 %(name)s") % {"name": contact.name})
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, by: User, now: datetime, values: dict[str, Any]) -> Contact:
    """Change a contact's editable fields; the account's history keeps old and new values."""
    if not can_change(user=by, owner=contact.account.owner):
        raise NotAllowedError()
    history_update(
        instance=contact, values=values, editable=CONTACT_EDITABLE, by=by, now=now, history_subject=contact.account,
        field_prefix=CONTACT_HISTORY_PREFIX, note=_("修改联系人 %(name)s") % {"name": values.get("name", contact.name)},
    )
    return contact
