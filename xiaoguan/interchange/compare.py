"""Comparing two folders of the interchange format, the way the format means them.

Rows are matched by their id (or their key where the format has no id); cells are compared as values: numbers as
decimals (`483050.0` = `483050.00`), times as instants (`…+08:00` = the same moment in UTC), booleans and
enumerations by meaning, empty cells against the column's default (an absent `currency` is `CNY`), text exactly.
A column missing from one side counts as empty there (spec: a missing optional column means empty).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xiaoguan.interchange.schema import TABLES, Table
from xiaoguan.interchange.sources import encoding_detect
from xiaoguan.interchange.values import CellError

MISSING = "<缺少>"


@dataclass(frozen=True)
class Difference:
    table: str
    kind: str  # header, only_left, only_right, value
    key: str = ""
    column: str = ""
    left: str = ""
    right: str = ""

    def __str__(self) -> str:
        if self.kind == "header":
            return f"{self.table}: 列 {self.column} 只在{'左' if self.left else '右'}边有值（另一边没有这一列）"
        if self.kind in ("only_left", "only_right"):
            return f"{self.table} [{self.key}]: 只在{'左' if self.kind == 'only_left' else '右'}边"
        return f"{self.table} [{self.key}] {self.column}: {self.left!r} ≠ {self.right!r}"


def _cell(table: Table, name: str, raw: str) -> Any:
    column = table.column(name)
    if not raw or raw.isspace():
        return column.default
    try:
        return column.parse(raw)
    except CellError:
        return ("unreadable", raw)


def _read(folder: Path, table: Table) -> tuple[set[str], dict[tuple[Any, ...], dict[str, Any]]]:
    path = folder / table.filename
    if not path.exists():
        return set(), {}
    with path.open("rb") as fh:
        encoding = encoding_detect(fh.read(1 << 20))
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        known = [h for h in header if h in table.column_names]
        for cells in reader:
            if not cells:
                continue
            record = {
                name: _cell(table, name, cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name in known
            }
            for column in table.columns:
                record.setdefault(column.name, column.default)
            rows[tuple(record[k] for k in table.key)] = record
    return set(header), rows


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple) and value and value[0] == "unreadable":
        return str(value[1])
    return str(value)


def interchange_compare(*, left: Path, right: Path) -> list[Difference]:
    """Every difference between two interchange folders; an empty list means they hold the same data."""
    differences: list[Difference] = []
    for table in TABLES:
        left_header, left_rows = _read(left, table)
        right_header, right_rows = _read(right, table)
        for column in sorted((left_header ^ right_header) & set(table.column_names)):
            side = left_rows if column in left_header else right_rows
            if any(row[column] != table.column(column).default for row in side.values()):
                present = "有" if side is left_rows else ""
                differences.append(Difference(table.name, "header", column=column, left=present, right="" if present else "有"))
        for key in left_rows.keys() - right_rows.keys():
            differences.append(Difference(table.name, "only_left", key=",".join(map(_shown, key))))
        for key in right_rows.keys() - left_rows.keys():
            differences.append(Difference(table.name, "only_right", key=",".join(map(_shown, key))))
        for key in left_rows.keys() & right_rows.keys():
            a, b = left_rows[key], right_rows[key]
            for column in table.column_names:
                if a[column] != b[column]:
                    differences.append(
                        Difference(table.name, "value", ",".join(map(_shown, key)), column, _shown(a[column]), _shown(b[column]))
                    )
    return differences
