"""Leads (线索)."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from xiaoguan.api.pagination import Page
from xiaoguan.api.schemas.common import (
    DateTimeIn,
    DateTimeOut,
    Email,
    ExternalId,
    Flag,
    IdFilter,
    MoneyIn,
    MoneyOut,
    Query200,
    Reason200,
    Text16,
    Text32,
    Text50,
    Text100,
    Text200,
    external_id_of,
    money_or_none,
    unset,
)
from xiaoguan.api.schemas.customers import AccountOut, ContactOut
from xiaoguan.api.schemas.enums import LeadSource, LeadStatus
from xiaoguan.api.schemas.opportunities import OpportunityOut
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import User
from xiaoguan.org.visibility import phone_for


class LeadOut(Schema):
    id: str
    created_at: DateTimeOut
    updated_at: DateTimeOut
    source: LeadSource
    status: LeadStatus
    name: str
    company: str
    phone: str = Field(description="非负责人看到的是打码后的号码")
    email: str
    industry: str
    region_id: str | None
    city: str
    company_size: str
    budget: MoneyOut | None
    owner_id: str | None
    assigned_at: DateTimeOut | None
    first_contact_at: DateTimeOut | None
    converted_account_id: str | None
    converted_opportunity_id: str | None

    @classmethod
    def of(cls, lead: Lead, *, viewer: User) -> LeadOut:
        return cls(
            id=lead.external_id, created_at=lead.created_at, updated_at=lead.updated_at, source=LeadSource(lead.source),
            status=LeadStatus(lead.status), name=lead.name, company=lead.company,
            phone=phone_for(user=viewer, owner_id=lead.owner_id, phone=lead.phone), email=lead.email, industry=lead.industry,
            region_id=external_id_of(lead.region), city=lead.city, company_size=lead.company_size, budget=money_or_none(lead.budget),
            owner_id=external_id_of(lead.owner), assigned_at=lead.assigned_at, first_contact_at=lead.first_contact_at,
            converted_account_id=external_id_of(lead.converted_account),
            converted_opportunity_id=external_id_of(lead.converted_opportunity),
        )


class LeadPage(Page):
    items: list[LeadOut]


class LeadFilters(Schema):
    status: LeadStatus | None = None
    source: LeadSource | None = None
    owner_id: IdFilter = Field("", description="负责人编号")
    q: Query200 = Field("", description="姓名、公司、手机号或编号")
    created_after: DateTimeIn | None = Field(None, description="创建时间 ≥")
    created_before: DateTimeIn | None = Field(None, description="创建时间 <")


class LeadIn(Schema):
    """姓名和公司至少填写一项。"""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "source": "web_form", "name": "陈工", "company": "苏州精测仪器有限公司", "phone": "13800001234",
            "email": "chen@example.cn", "industry": "制造业", "city": "苏州", "company_size": "50-199",
            "budget": 200000
        }]},
    )

    source: LeadSource = LeadSource.OTHER
    name: Text100 = ""
    company: Text200 = ""
    phone: Text32 = ""
    email: Email = ""
    industry: Text50 = ""
    region_id: ExternalId | None = Field(None, description="大区；缺省为负责人所在大区")
    city: Text50 = ""
    company_size: Text16 = ""
    budget: MoneyIn | None = None
    owner_id: ExternalId | None = Field(None, description="负责人；缺省为自己")


class LeadPatch(Schema):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"phone": "13900005678", "budget": 250000}]})

    source: LeadSource = unset()
    name: Text100 = unset()
    company: Text200 = unset()
    phone: Text32 = unset()
    email: Email = unset()
    industry: Text50 = unset()
    region_id: ExternalId | None = None
    city: Text50 = unset()
    company_size: Text16 = unset()
    budget: MoneyIn | None = None


class LeadDisqualifyIn(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "重复线索"}]})

    reason: Reason200


class LeadConvertIn(Schema):
    """Into a new account (named `account_name`, default: the lead's company) or an existing one (`account_id`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "opportunity_name": "精测仪器-检测设备", "product_line": "检测设备", "amount": 300000
        }]},
    )

    account_id: ExternalId | None = Field(None, description="并入已有客户")
    account_name: Text200 = Field("", description="新客户名称；缺省为线索的公司名")
    create_contact: Flag = True
    create_opportunity: Flag = True
    opportunity_name: Text200 = ""
    product_line: Text100 = ""
    amount: MoneyIn | None = Field(None, description="商机金额；缺省为线索预算")
    pipeline: ExternalId | None = Field(None, description="销售流程键；缺省为 standard")


class LeadConvertOut(Schema):
    lead: LeadOut
    account: AccountOut
    contact: ContactOut | None
    opportunity: OpportunityOut | None


__all__ = ["LeadConvertIn", "LeadConvertOut", "LeadDisqualifyIn", "LeadFilters", "LeadIn", "LeadOut", "LeadPage", "LeadPatch"]
