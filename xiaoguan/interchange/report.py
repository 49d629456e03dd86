"""The import report: every problem row (file, line, column, value, reason) and what was written."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

ERROR = "error"
TEXT_WARNINGS = 1000
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    level: str
    file: str
    line: int
    column: str
    value: str
    reason: str

    def as_text(self) -> str:
        where = _("%(file)s 第 %(line)d 行") % {"file": self.file, "line": self.line}
        if self.column:
            where += f" {self.column}"
            if self.value:
                where += f"={self.value!r}"
        return f"{where}：{self.reason}"


@dataclass
class TableCounts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    source: str = ""
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    tables: dict[str, TableCounts] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> int:
        return sum(c.created + c.updated for c in self.tables.values())

    def add(self, level: str, file: str, line: int, column: str, value: Any, reason: str) -> None:
        text = "" if value is None else str(value)
        problem = Problem(level, file, line, column, text[:200], reason)
        (self.errors if level == ERROR else self.warnings).append(problem)

    def error(self, file: str, line: int, column: str, value: Any, reason: str) -> None:
        self.add(ERROR, file, line, column, value, reason)

    def warning(self, file: str, line: int, column: str, value: Any, reason: str) -> None:
        self.add(WARNING, file, line, column, value, reason)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "written": self.written,
            "dry_run": self.dry_run,
            "errors": [asdict(p) for p in self.errors],
            "warnings": [asdict(p) for p in self.warnings],
            "tables": {name: asdict(c) for name, c in self.tables.items()},
            "ignored": self.ignored,
        }

    def summary(self) -> str:
        if self.errors:
            outcome = _("有错误，没有写入任何数据")
        elif self.dry_run:
            outcome = _("预览，没有写入")
        elif self.written:
            outcome = _("已写入：新增 %(created)d 条，更新 %(updated)d 条") % {
                "created": sum(c.created for c in self.tables.values()),
                "updated": sum(c.updated for c in self.tables.values()),
            }
        else:
            outcome = _("数据与库中一致，没有变化")
        return _("导入报告：%(errors)d 个错误，%(warnings)d 个警告（%(outcome)s）") % {
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "outcome": outcome,
        }

    def as_text(self) -> str:
        """The human report: summary, counts per table, then every problem row, errors first."""
        lines = [self.summary()]
        for name, counts in self.tables.items():
            lines.append(
                _("  %(table)s: %(rows)d 行，新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d")
                % {"table": name, **asdict(counts)}
            )
        if self.ignored:
            lines.append(_("已忽略（不属于导入格式）：%(names)s") % {"names": ", ".join(self.ignored)})
        for title, problems in ((_("错误"), self.errors), (_("警告"), self.warnings)):
            if not problems:
                continue
            lines.append(f"{title}:")
            by_reason = Counter((p.file, p.reason) for p in problems)
            if len(problems) > 20:
                for (file, reason), count in by_reason.most_common():
                    lines.append(_("  %(file)s：%(reason)s × %(count)d") % {"file": file, "reason": reason, "count": count})
            # Every error is listed; warnings up to a screenful of screens (the JSON report has each of them).
            shown = problems if problems is self.errors else problems[:TEXT_WARNINGS]
            lines.extend(f"  {p.as_text()}" for p in shown)
            if len(shown) < len(problems):
                lines.append(
                    _("  …另有 %(more)d 条警告，完整列表见 --report 生成的 JSON 报告") % {"more": len(problems) - len(shown)}
                )
        return "\n".join(lines)
