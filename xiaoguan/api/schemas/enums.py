"""Enumerations of the interchange format (spec/interchange.md) as named enums, so the OpenAPI document lists them.

They mirror the models' TextChoices under distinct names (two models both call theirs `Status`);
tests/api/test_schema.py checks that the values stay the same.
"""

from __future__ import annotations

from enum import StrEnum


class RoleEnum(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    DIRECTOR = "director"
    FINANCE = "finance"
    LEGAL = "legal"
    COMPLIANCE = "compliance"
    ENGINEER = "engineer"
    ADMIN = "admin"


class TeamKind(StrEnum):
    COMPANY = "company"
    REGION = "region"
    TEAM = "team"


class AccountKind(StrEnum):
    ENTERPRISE = "enterprise"
    GOVERNMENT = "government"
    EDUCATION = "education"
    HOSPITAL = "hospital"
    RETAIL = "retail"
    INDIVIDUAL = "individual"


class AccountSize(StrEnum):
    S1 = "1-49"
    S2 = "50-199"
    S3 = "200-999"
    S4 = "1000+"


class AccountGrade(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class DecisionRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    PROCUREMENT = "procurement"
    USER = "user"
    FINANCE = "finance"


class LeadSource(StrEnum):
    WEB_FORM = "web_form"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    PHONE = "phone"
    EVENT = "event"
    REFERRAL = "referral"
    IMPORT = "import"
    OTHER = "other"


class LeadStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ActivityKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    WECOM_MESSAGE = "wecom_message"
    EMAIL = "email"
    MEETING = "meeting"
    DEMO = "demo"
    DOCUMENT_SENT = "document_sent"
    CHECK_IN = "check_in"
    NOTE = "note"


class TaskSource(StrEnum):
    MANUAL = "manual"
    FOLLOW_UP = "follow_up"
    LEAD = "lead"
    SYSTEM = "system"
    MEETING = "meeting"


class TouchEventKind(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    DOWNLOADED = "downloaded"
    MEETING_BOOKED = "meeting_booked"


class TargetScopeKind(StrEnum):
    USER = "user"
    TEAM = "team"
