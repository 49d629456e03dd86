"""The tables and columns of the interchange format (spec/interchange.md), in the order they are loaded.

One declaration serves the importer (parsing, required values, enumerations, references), the exporter (which
columns, in which order) and the folder comparison (how two cells are compared).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from xiaoguan.interchange import values as v

ID_MAX_LENGTH = 64


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # id, ref, text, enum, datetime, date, decimal, int, bool, period
    required: bool = False
    ref: str | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    max_digits: int = 16
    decimal_places: int = 2
    minimum: Any = None
    maximum: Any = None
    default: Any = None
    parse: Callable[[str], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parse", self._parser())

    def _parser(self) -> Callable[[str], Any]:
        # Closures rather than functools.partial with keywords: this runs once per cell of millions of rows.
        kind = self.kind
        if kind in ("id", "ref"):
            return _id_parser(ID_MAX_LENGTH)
        if kind == "text":
            return _text_parser(self.max_length)
        if kind == "enum":
            return _enum_parser(frozenset(self.choices))
        if kind == "datetime":
            return v.parse_datetime
        if kind == "date":
            return v.parse_date
        if kind == "decimal":
            max_digits, places, minimum, maximum = self.max_digits, self.decimal_places, self.minimum, self.maximum
            return lambda raw: v.parse_decimal(
                raw, max_digits=max_digits, decimal_places=places, minimum=minimum, maximum=maximum
            )
        if kind == "int":
            minimum, maximum = self.minimum, self.maximum
            return lambda raw: v.parse_int(raw, minimum=minimum, maximum=maximum)
        if kind == "bool":
            return v.parse_bool
        if kind == "period":
            return v.parse_period
        raise ValueError(kind)


def _id_parser(max_length: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        text = raw.strip()
        if not text:
            raise v.CellError(_("必填项为空"))
        if len(text) > max_length:
            raise v.CellError(_("编号过长（最多 %(max)d 个字符）") % {"max": max_length})
        return text

    return parse


def _text_parser(max_length: int | None) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.isspace():
            raise v.CellError(_("必填项为空"))
        if max_length is not None and len(raw) > max_length:
            raise v.CellError(_("文字过长（最多 %(max)d 个字符）") % {"max": max_length})
        return raw

    return parse


def _enum_parser(choices: frozenset[str]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw in choices:
            return raw
        text = raw.strip()
        if text not in choices:
            raise v.CellError(_("不是可选值之一：%(choices)s") % {"choices": ", ".join(sorted(choices))})
        return text

    return parse


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _id(name: str) -> Column:
    return Column(name, "id", required=True)


def _ref(name: str, table: str, *, required: bool = False) -> Column:
    return Column(name, "ref", required=required, ref=table)


def _text(name: str, max_length: int | None, *, required: bool = False) -> Column:
    return Column(name, "text", required=required, max_length=max_length)


def _money(name: str, *, required: bool = False) -> Column:
    return Column(name, "decimal", required=required, minimum=Decimal(0))


ROLES = ("rep", "manager", "director", "finance", "legal", "compliance", "engineer", "admin")
ACTIVITY_KINDS = ("call", "visit", "wecom_message", "email", "meeting", "demo", "document_sent", "check_in", "note")
LEAD_SOURCES = ("web_form", "wecom", "dingtalk", "phone", "event", "referral", "import", "other")
LEAD_STATUSES = ("new", "assigned", "contacted", "qualified", "disqualified", "converted")
TOUCH_KINDS = ("sent", "delivered", "opened", "clicked", "downloaded", "meeting_booked")

TABLES: tuple[Table, ...] = (
    Table(
        "pipelines",
        (
            Column("pipeline", "id", required=True),
            _text("name", 100, required=True),
            Column("stage", "id", required=True),
            _text("stage_name", 100, required=True),
            Column("position", "int", required=True, minimum=1, maximum=32767),
            Column("won", "bool", default=False),
        ),
        key=("pipeline", "stage"),
    ),
    Table(
        "teams",
        (
            _id("team_id"),
            _text("name", 100, required=True),
            _ref("parent_id", "teams"),
            Column("kind", "enum", required=True, choices=("company", "region", "team")),
        ),
        key=("team_id",),
    ),
    Table(
        "users",
        (
            _id("user_id"),
            _text("name", 100, required=True),
            _text("email", 254),
            Column("role", "enum", required=True, choices=ROLES),
            _ref("team_id", "teams", required=True),
            _ref("manager_id", "users"),
            Column("hired_on", "date"),
            Column("active", "bool", default=True),
        ),
        key=("user_id",),
    ),
    Table(
        "accounts",
        (
            _id("account_id"),
            _text("name", 200, required=True),
            Column("kind", "enum", choices=("enterprise", "government", "education", "hospital", "retail", "individual")),
            _text("industry", 50),
            _ref("region", "teams"),
            _text("city", 50),
            Column("size", "enum", choices=("1-49", "50-199", "200-999", "1000+")),
            _ref("owner_id", "users"),
            Column("created_at", "datetime"),
            _money("credit_limit"),
            Column("payment_terms_days", "int", minimum=0, maximum=2147483647),
            Column("grade", "enum", choices=("A", "B", "C")),
        ),
        key=("account_id",),
    ),
    Table(
        "contacts",
        (
            _id("contact_id"),
            _ref("account_id", "accounts", required=True),
            _text("name", 100, required=True),
            _text("title", 100),
            Column("role_in_decision", "enum", choices=("decision_maker", "influencer", "procurement", "user", "finance")),
            _text("phone", 32),
            _text("email", 254),
            _text("wechat", 64),
        ),
        key=("contact_id",),
    ),
    Table(
        "opportunities",
        (
            _id("opportunity_id"),
            _ref("account_id", "accounts", required=True),
            _ref("owner_id", "users", required=True),
            Column("pipeline", "id", required=True),
            _text("product_line", 100),
            _text("name", 200),
            _money("amount"),
            Column("currency", "text", max_length=3, default="CNY"),
            Column("created_at", "datetime", required=True),
            Column("expected_close", "date"),
            Column("stage", "id", required=True),
            Column("status", "enum", choices=("open", "won", "lost"), default="open"),
            Column("closed_at", "datetime"),
            _text("lost_reason", 200),
            _text("competitor", 100),
        ),
        key=("opportunity_id",),
    ),
    Table(
        "leads",
        (
            _id("lead_id"),
            Column("created_at", "datetime", required=True),
            Column("source", "enum", choices=LEAD_SOURCES, default="other"),
            _text("name", 100),
            _text("company", 200),
            _text("phone", 32),
            _text("email", 254),
            _text("industry", 50),
            _ref("region", "teams"),
            _text("city", 50),
            _text("company_size", 16),
            _money("budget"),
            Column("status", "enum", choices=LEAD_STATUSES, default="new"),
            _ref("owner_id", "users"),
            Column("assigned_at", "datetime"),
            Column("first_contact_at", "datetime"),
            _ref("converted_account_id", "accounts"),
            _ref("converted_opportunity_id", "opportunities"),
        ),
        key=("lead_id",),
    ),
    Table(
        "stage_history",
        (
            _ref("opportunity_id", "opportunities", required=True),
            Column("stage", "id", required=True),
            Column("entered_at", "datetime", required=True),
            _ref("changed_by", "users"),
        ),
        key=("opportunity_id", "stage", "entered_at"),
    ),
    Table(
        "activities",
        (
            _id("activity_id"),
            _ref("owner_id", "users", required=True),
            _ref("account_id", "accounts"),
            _ref("opportunity_id", "opportunities"),
            _ref("lead_id", "leads"),
            Column("kind", "enum", required=True, choices=ACTIVITY_KINDS),
            Column("occurred_at", "datetime", required=True),
            Column("recorded_at", "datetime", required=True),
            Column("duration_seconds", "int", minimum=0, maximum=2147483647),
            _text("content", None),
            Column("lat", "decimal", max_digits=9, decimal_places=6, minimum=Decimal(-90), maximum=Decimal(90)),
            Column("lng", "decimal", max_digits=9, decimal_places=6, minimum=Decimal(-180), maximum=Decimal(180)),
        ),
        key=("activity_id",),
    ),
    Table(
        "touch_events",
        (
            _id("event_id"),
            Column("tracked_item_id", "id", required=True),
            _text("document", 200),
            _ref("account_id", "accounts"),
            _ref("contact_id", "contacts"),
            _ref("opportunity_id", "opportunities"),
            Column("kind", "enum", required=True, choices=TOUCH_KINDS),
            Column("occurred_at", "datetime", required=True),
        ),
        key=("event_id",),
    ),
    Table(
        "invoices",
        (
            _id("invoice_id"),
            _ref("account_id", "accounts", required=True),
            _ref("opportunity_id", "opportunities"),
            _money("amount", required=True),
            Column("issued_on", "date", required=True),
            Column("due_on", "date", required=True),
            Column("paid_on", "date"),
        ),
        key=("invoice_id",),
    ),
    Table(
        "targets",
        (
            Column("period", "period", required=True),
            Column("scope_kind", "enum", required=True, choices=("user", "team")),
            Column("scope_id", "id", required=True),
            _text("product_line", 100),
            _money("amount", required=True),
        ),
        key=("period", "scope_kind", "scope_id", "product_line"),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
FILENAMES: dict[str, str] = {t.filename: t.name for t in TABLES}
