"""Accounts (客户) and contacts (联系人)."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from xiaoguan.api.pagination import Page
from xiaoguan.api.schemas.common import (
    DateTimeIn,
    DateTimeOut,
    Email,
    ExternalId,
    MoneyIn,
    MoneyOut,
    Name100,
    Name200,
    PositiveInt,
    Text32,
    Text50,
    Text64,
    Text100,
    enum_or_none,
    external_id_of,
    money_or_none,
    unset,
)
from xiaoguan.api.schemas.enums import AccountGrade, AccountKind, AccountSize, DecisionRole
from xiaoguan.customers.models import Account, Contact
from xiaoguan.org.models import User
from xiaoguan.org.visibility import phone_for


class AccountOut(Schema):
    id: str
    name: str
    kind: AccountKind | None
    industry: str
    region_id: str | None
    city: str
    size: AccountSize | None
    grade: AccountGrade | None
    owner_id: str | None
    created_at: DateTimeOut
    updated_at: DateTimeOut
    credit_limit: MoneyOut | None
    payment_terms_days: int | None
    next_follow_up_at: DateTimeOut | None

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            id=account.external_id, name=account.name, kind=enum_or_none(AccountKind, account.kind), industry=account.industry,
            region_id=external_id_of(account.region), city=account.city, size=enum_or_none(AccountSize, account.size),
            grade=enum_or_none(AccountGrade, account.grade), owner_id=external_id_of(account.owner), created_at=account.created_at,
            updated_at=account.updated_at, credit_limit=money_or_none(account.credit_limit), payment_terms_days=account.payment_terms_days,
            next_follow_up_at=account.next_follow_up_at,
        )


class AccountPage(Page):
    items: list[AccountOut]


class AccountIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "name": "苏州精测仪器有限公司", "kind": "enterprise", "industry": "制造业", "city": "苏州", "size": "50-199",
            "grade": "B"
        }]},
    )

    name: Name200
    kind: AccountKind | None = None
    industry: Text50 = ""
    region_id: ExternalId | None = Field(None, description="大区 (team of kind region)；缺省为负责人所在大区")
    city: Text50 = ""
    size: AccountSize | None = None
    grade: AccountGrade | None = None
    owner_id: ExternalId | None = Field(None, description="负责人；缺省为自己")
    credit_limit: MoneyIn | None = None
    payment_terms_days: PositiveInt | None = None
    next_follow_up_at: DateTimeIn | None = None


class AccountPatch(Schema):
    """Only the fields sent change. `null` clears a field that may be empty."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "grade": "A", "credit_limit": 500000, "payment_terms_days": 60
        }]},
    )

    name: Name200 = unset()
    kind: AccountKind | None = None
    industry: Text50 = unset()
    region_id: ExternalId | None = None
    city: Text50 = unset()
    size: AccountSize | None = None
    grade: AccountGrade | None = None
    credit_limit: MoneyIn | None = None
    payment_terms_days: PositiveInt | None = None
    next_follow_up_at: DateTimeIn | None = None


class ContactOut(Schema):
    id: str
    account_id: str
    name: str
    title: str
    role_in_decision: DecisionRole | None
    phone: str = Field(description="非负责人看到的是打码后的号码")
    email: str
    wechat: str

    @classmethod
    def of(cls, contact: Contact, *, viewer: User) -> ContactOut:
        return cls(
            id=contact.external_id, account_id=contact.account.external_id, name=contact.name, title=contact.title,
            role_in_decision=enum_or_none(DecisionRole, contact.role_in_decision),
            phone=phone_for(user=viewer, owner_id=contact.account.owner_id, phone=contact.phone),
            email=contact.email, wechat=contact.wechat,
        )


class ContactPage(Page):
    items: list[ContactOut]


class ContactIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "name": "陈工", "title": "设备科科长", "role_in_decision": "decision_maker", "phone": "13800001234"
        }]},
    )

    name: Name100
    title: Text100 = ""
    role_in_decision: DecisionRole | None = None
    phone: Text32 = ""
    email: Email = ""
    wechat: Text64 = ""


__all__ = ["AccountIn", "AccountOut", "AccountPage", "AccountPatch", "ContactIn", "ContactOut", "ContactPage"]
