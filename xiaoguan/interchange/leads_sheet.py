"""A rep's own spreadsheet of leads (.xlsx or .csv): read it, map its columns, preview, import.

People bring lists from fairs, old CRMs and WeChat groups with headers like 姓名 / 公司 / 手机 and CSV files saved by
Excel on Chinese Windows (GBK) or with a BOM. The columns are guessed from common headers and the person confirms
the mapping; every row is checked and shown before anything is written. The imported leads belong to the person.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.capture.models import LeadCapture
from xiaoguan.capture.services import capture_lead
from xiaoguan.core.errors import DomainError, NotAllowedError
from xiaoguan.core.models import HistoryEntry
from xiaoguan.interchange.sources import SourceError, encoding_detect, xlsx_cell_text
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import Team, User
from xiaoguan.org.visibility import can_change

MAX_ROWS = 5000
PHONE_RE = re.compile(r"^\d{5,20}$")
PREVIEW_ROWS = 20

# Lead fields a sheet may fill, with the headers people write for them (compared without spaces and case).
FIELDS: dict[str, Any] = {
    "name": gettext_lazy("姓名"),
    "company": gettext_lazy("公司"),
    "phone": gettext_lazy("手机"),
    "email": gettext_lazy("邮箱"),
    "industry": gettext_lazy("行业"),
    "city": gettext_lazy("城市"),
    "region": gettext_lazy("大区"),
    "budget": gettext_lazy("预算"),
    "source": gettext_lazy("来源"),
    "company_size": gettext_lazy("公司规模"),
}
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "联系人", "联系人姓名", "客户姓名", "称呼", "name", "contact", "fullname"),
    "company": ("公司", "公司名称", "单位", "单位名称", "企业", "企业名称", "客户名称", "机构", "company", "organization"),
    "phone": (
        "手机",
        "手机号",
        "手机号码",
        "移动电话",
        "电话",
        "联系电话",
        "联系方式",
        "座机",
        "mobile",
        "phone",
        "tel",
        "telephone",
    ),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"),
    "industry": ("行业", "所属行业", "行业类别", "industry"),
    "city": ("城市", "所在城市", "所在地", "city"),
    "region": ("地区", "区域", "大区", "销售区域", "region"),
    "budget": ("预算", "预算金额", "预算(元)", "预算（元）", "预算(万元)", "预算（万元）", "金额", "budget"),
    "source": ("来源", "线索来源", "渠道", "来源渠道", "source", "channel"),
    "company_size": ("规模", "公司规模", "企业规模", "人数", "员工人数", "size"),
}
SOURCE_WORDS: dict[str, str] = {
    "官网": Lead.Source.WEB_FORM, "官网表单": Lead.Source.WEB_FORM, "网站": Lead.Source.WEB_FORM, "表单": Lead.Source.WEB_FORM,
    "企业微信": Lead.Source.WECOM, "企微": Lead.Source.WECOM, "微信": Lead.Source.WECOM,
    "钉钉": Lead.Source.DINGTALK,
    "电话": Lead.Source.PHONE, "来电": Lead.Source.PHONE, "400电话": Lead.Source.PHONE,
    "展会": Lead.Source.EVENT, "展会活动": Lead.Source.EVENT, "活动": Lead.Source.EVENT, "会议": Lead.Source.EVENT,
    "转介绍": Lead.Source.REFERRAL, "介绍": Lead.Source.REFERRAL, "推荐": Lead.Source.REFERRAL, "老客户推荐": Lead.Source.REFERRAL,
    "导入": Lead.Source.IMPORT, "其他": Lead.Source.OTHER,
}  # fmt: skip
MAX_LENGTHS: dict[str, int] = {
    name: getattr(Lead._meta.get_field(name), "max_length", 0)
    for name in ("name", "company", "phone", "email", "industry", "city", "company_size")
}


class SheetError(DomainError):
    code = "sheet_unreadable"
    default_message = gettext_lazy("无法读取这个表格")


@dataclass
class Sheet:
    """A spreadsheet's header and rows as text; `lines[i]` is the spreadsheet line of `rows[i]`."""

    name: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    encoding: str = ""


def _normalised(header: str) -> str:
    return re.sub(r"[\s:：*＊]", "", header).lower()


def sheet_read(*, stream: IO[bytes], filename: str) -> Sheet:
    """The first sheet of an .xlsx, or a .csv in UTF-8 (BOM or not) or GBK/GB18030; at most MAX_ROWS rows."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_read(stream, filename)
    if suffix in (".csv", ".txt"):
        return _csv_read(stream, filename)
    raise SheetError(_("只支持 .xlsx 或 .csv 文件"))


def _finish(name: str, rows: list[tuple[int, list[str]]], encoding: str = "") -> Sheet:
    rows = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise SheetError(_("表格是空的"))
    (_first, header), body = rows[0], rows[1:]
    if len(body) > MAX_ROWS:
        raise SheetError(_("一次最多导入 %(max)d 行，这个表格有 %(rows)d 行") % {"max": MAX_ROWS, "rows": len(body)})
    width = len(header)
    return Sheet(
        name=name,
        header=[h.strip() for h in header],
        rows=[(cells + [""] * width)[:width] for _line, cells in body],
        lines=[line for line, _cells in body],
        encoding=encoding,
    )


def _csv_read(stream: IO[bytes], filename: str) -> Sheet:
    data = stream.read()
    try:
        encoding = encoding_detect(data)
        text = data.decode(encoding)
    except (SourceError, UnicodeDecodeError) as exc:
        raise SheetError(_("无法识别文件编码，请另存为 UTF-8 或 Excel 文件")) from exc
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[tuple[int, list[str]]] = []
    previous = 0
    try:
        for cells in reader:
            rows.append((previous + 1, cells))
            previous = reader.line_num
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise SheetError(_("CSV 格式错误：%(error)s") % {"error": exc}) from exc
    return _finish(filename, rows, encoding)


def _xlsx_read(stream: IO[bytes], filename: str) -> Sheet:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise SheetError(_("不是有效的 Excel 工作簿（.xlsx）")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows: list[tuple[int, list[str]]] = []
        for line, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            rows.append((line, [xlsx_cell_text(v).strip() for v in values]))
            if len(rows) > MAX_ROWS + 1:
                break
    finally:
        workbook.close()
    return _finish(filename, rows)


def mapping_guess(*, header: list[str]) -> dict[int, str]:
    """Column index → lead field for the headers recognised; each field at most once (the first column wins)."""
    known = {_normalised(word): name for name, words in HEADERS.items() for word in words}
    mapping: dict[int, str] = {}
    for index, title in enumerate(header):
        name = known.get(_normalised(title))
        if name is None:
            # "手机号码(必填)", "客户公司名称": a known word inside a longer header.
            name = next(
                (n for w, n in sorted(known.items(), key=lambda kv: -len(kv[0])) if len(w) >= 2 and w in _normalised(title)), None
            )
        if name is not None and name not in mapping.values():
            mapping[index] = name
    return mapping


@dataclass
class LeadRow:
    line: int
    values: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Preview:
    rows: list[LeadRow]

    @property
    def importable(self) -> list[LeadRow]:
        return [r for r in self.rows if r.ok]

    @property
    def refused(self) -> list[LeadRow]:
        return [r for r in self.rows if not r.ok]


def _budget(text: str) -> Decimal:
    """ "10万", "¥5,000", "1.2 万元" → yuan."""
    cleaned = re.sub(r"[\s,，¥￥元]", "", text)
    factor = Decimal(1)
    if cleaned.endswith("万"):
        cleaned, factor = cleaned[:-1], Decimal(10000)
    value = Decimal(cleaned) * factor
    if not value.is_finite() or value < 0:
        raise InvalidOperation
    return value.quantize(Decimal("0.01"))


def _phone(text: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", text)
    return digits[3:] if digits.startswith("+86") else digits


def _regions() -> dict[str, Team]:
    regions: dict[str, Team] = {}
    for team in Team.objects.filter(kind=Team.Kind.REGION):
        regions[team.name] = team
        regions[team.name.removesuffix("大区").removesuffix("区域")] = team
        regions[team.external_id.lower()] = team
    return regions


def leads_preview(*, sheet: Sheet, mapping: dict[int, str], user: User) -> Preview:
    """Every row as the lead it would become, with what stops it (problems) and what was adjusted (notes)."""
    regions = _regions()
    own_phones = set(Lead.objects.filter(owner=user).exclude(phone="").values_list("phone", flat=True))
    seen_phones: dict[str, int] = {}
    rows = []
    for line, cells in zip(sheet.lines, sheet.rows, strict=True):
        row = LeadRow(line=line, values={})
        for index, name in mapping.items():
            text = cells[index].strip() if index < len(cells) else ""
            if text:
                _read_cell(row, name, text, regions)
        if not (row.values.get("name") or row.values.get("company")):
            row.problems.append(_("姓名和公司至少填写一项"))
        phone = row.values.get("phone")
        if phone:
            if phone in own_phones:
                row.problems.append(_("手机号已在你的线索中"))
            elif phone in seen_phones:
                row.problems.append(_("与第 %(line)d 行手机号重复") % {"line": seen_phones[phone]})
            else:
                seen_phones[phone] = line
        rows.append(row)
    return Preview(rows=rows)


def _read_cell(row: LeadRow, name: str, text: str, regions: dict[str, Team]) -> None:
    if name == "budget":
        try:
            row.values["budget"] = _budget(text)
        except (InvalidOperation, ValueError):
            row.problems.append(_("预算不是金额：%(value)s") % {"value": text})
        return
    if name == "source":
        source = SOURCE_WORDS.get(text) or (text if text in Lead.Source.values else None)
        if source is None:
            row.notes.append(_("来源“%(value)s”未识别，记为“导入”") % {"value": text})
        row.values["source"] = source or Lead.Source.IMPORT
        return
    if name == "region":
        team = regions.get(text) or regions.get(text.lower()) or regions.get(text.removesuffix("大区").removesuffix("区域"))
        if team is None:
            row.notes.append(_("地区“%(value)s”不是已有的大区，已忽略") % {"value": text})
        else:
            row.values["region"] = team
        return
    if name == "phone":
        text = _phone(text)
        if not PHONE_RE.match(text):
            row.problems.append(_("电话号码格式不对：%(value)s") % {"value": text})
            return
    if name == "email":
        try:
            validate_email(text)
        except ValidationError:
            row.problems.append(_("邮箱格式不对：%(value)s") % {"value": text})
            return
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(text) > limit:
        row.problems.append(_("%(field)s过长（最多 %(max)d 个字符）") % {"field": FIELDS[name], "max": limit})
        return
    row.values[name] = text


@dataclass(frozen=True)
class LeadsImported:
    created: int
    refused: int
    # Rows that matched an open lead (same phone or e-mail) of someone else: merged into it, its owner told.
    merged: int = 0


@transaction.atomic
def leads_import(*, sheet: Sheet, mapping: dict[int, str], user: User, now: datetime) -> LeadsImported:
    """Create the importable rows as the user's own leads; rows with problems are left out (the preview showed them).

    Every row goes through capture (capture.services.capture_lead), so a sheet is deduplicated like any other channel:
    a row matching an open lead is merged into it, one of an existing customer is linked to that account. New leads
    belong to the importer (no routing: the person imports their own list), each with an "imported" history entry.
    """
    if not can_change(user=user, owner=user):
        raise NotAllowedError()
    preview = leads_preview(sheet=sheet, mapping=mapping, user=user)
    default_region = user.team.region() if user.team else None
    created = merged = 0
    for row in preview.importable:
        values = {**row.values, "region": row.values.get("region", default_region)}
        raw = {"sheet": sheet.name[:200], "line": row.line, "values": {k: str(v) for k, v in row.values.items() if v is not None}}
        result = capture_lead(
            source=row.values.get("source", Lead.Source.IMPORT), fields=values, raw=raw, now=now, owner=user, by=user,
            history_action=HistoryEntry.Action.IMPORTED, history_note=sheet.name[:500],
        )
        if result.outcome == LeadCapture.Outcome.MERGED:
            merged += 1
        else:
            created += 1
    return LeadsImported(created=created, refused=len(preview.refused), merged=merged)
