"""Where the tables of an import come from: a folder of CSV files, a ZIP of one, or an .xlsx workbook.

Every source gives, per table, rows as `(line, cells)` with the header as line 1, read lazily so a folder of
millions of rows is never held in memory. CSV text may arrive as UTF-8 (with or without a BOM) or, as Excel
and WPS save it on Chinese Windows, GBK/GB18030; both are read.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO

import charset_normalizer
from django.utils.translation import gettext as _

from xiaoguan.interchange.schema import FILENAMES

SNIFF_BYTES = 1 << 20
Rows = Iterator[tuple[int, list[str]]]


class SourceError(Exception):
    """A file that cannot be read at all (encoding, format). `line` is where reading stopped."""

    def __init__(self, reason: str, *, line: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def encoding_detect(sample: bytes) -> str:
    """The text encoding of a CSV file from its first bytes.

    UTF-8 first (`utf-8-sig` also drops a BOM); then GB18030, the superset of GBK that Chinese Excel writes,
    before asking charset-normalizer, which mistakes short, mostly-ASCII GBK files for Korean.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=len(sample) < SNIFF_BYTES)
        except UnicodeDecodeError:
            continue
        return "utf-8-sig" if encoding == "utf-8" else encoding
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        raise SourceError(_("无法识别文件编码，请另存为 UTF-8 CSV"))
    return best.encoding


def csv_rows(stream: IO[bytes], *, encoding: str) -> Rows:
    """Rows of a CSV byte stream. A record spanning several lines is numbered by its first line."""
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text)
    previous = 0
    try:
        for cells in reader:
            line = previous + 1
            previous = reader.line_num
            if cells:
                yield line, cells
    except UnicodeDecodeError:
        raise SourceError(_("文件中有无法按 %(encoding)s 解码的内容") % {"encoding": encoding}, line=previous + 1) from None
    except csv.Error as exc:
        raise SourceError(_("CSV 格式错误：%(error)s") % {"error": exc}, line=previous + 1) from None


@dataclass
class TableSource:
    """One table of an import: its display name (the file or sheet) and a way to read its rows again."""

    table: str
    label: str
    open_rows: Callable[[], Rows]
    encoding: str = "utf-8"
    size_bytes: int = 0

    def rows(self) -> Rows:
        return self.open_rows()


@dataclass
class Bundle:
    """All the tables found in one import source; `ignored` names what was there but is not part of the spec."""

    label: str
    tables: dict[str, TableSource] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    problems: list[tuple[str, int, str]] = field(default_factory=list)  # (label, line, reason) found while opening

    def close(self) -> None:
        """Release what the source holds open (a ZIP archive); nothing for a folder."""


def _csv_source(table: str, label: str, opener: Callable[[], IO[bytes]], size: int) -> tuple[TableSource | None, str | None]:
    with opener() as stream:
        sample = stream.read(SNIFF_BYTES)
    if not sample.strip():
        return None, _("文件为空（至少要有表头一行）")
    try:
        encoding = encoding_detect(sample)
    except SourceError as exc:
        return None, exc.reason

    def rows() -> Rows:
        with opener() as stream:
            yield from csv_rows(stream, encoding=encoding)

    return TableSource(table=table, label=label, open_rows=rows, encoding=encoding, size_bytes=size), None


def _add_csv(bundle: Bundle, table: str, label: str, opener: Callable[[], IO[bytes]], size: int) -> None:
    source, problem = _csv_source(table, label, opener, size)
    if problem is not None:
        bundle.problems.append((label, 1, problem))
    elif source is not None:
        bundle.tables[table] = source


def _file_opener(path: Path) -> Callable[[], IO[bytes]]:
    def open_file() -> IO[bytes]:
        return path.open("rb")

    return open_file


def folder_bundle(folder: Path) -> Bundle:
    """The spec's CSV files at the top of `folder`; anything else (a `truth/` folder, notes) is ignored."""
    bundle = Bundle(label=str(folder))
    for path in sorted(folder.iterdir()):
        table = FILENAMES.get(path.name)
        if table is None or not path.is_file():
            bundle.ignored.append(path.name)
            continue
        _add_csv(bundle, table, path.name, _file_opener(path), path.stat().st_size)
    return bundle


def folder_locate(root: Path) -> Path:
    """`root` itself, or its `data/` folder when the spec's files sit there (a sample world's layout)."""
    if any((root / name).is_file() for name in FILENAMES):
        return root
    if (root / "data").is_dir() and any((root / "data" / name).is_file() for name in FILENAMES):
        return root / "data"
    return root


class ZipBundle(Bundle):
    """The spec's files in a ZIP, wherever the folder holding them sits inside it (never under `truth/`)."""

    def __init__(self, *, label: str, archive: zipfile.ZipFile) -> None:
        super().__init__(label=label)
        self.archive = archive
        members = [m for m in archive.infolist() if not m.is_dir()]
        candidates = [
            m
            for m in members
            if PurePosixPath(m.filename).name in FILENAMES and not {"truth", "__MACOSX"} & set(PurePosixPath(m.filename).parts)
        ]
        folder = min((str(PurePosixPath(m.filename).parent) for m in candidates), key=lambda p: (p.count("/"), p), default=None)
        for member in members:
            path = PurePosixPath(member.filename)
            if folder is not None and str(path.parent) == folder and path.name in FILENAMES:
                _add_csv(self, FILENAMES[path.name], path.name, partial(archive.open, member), member.file_size)
            else:
                self.ignored.append(member.filename)

    def close(self) -> None:
        self.archive.close()


def zip_bundle(path_or_file: Path | IO[bytes], *, label: str) -> ZipBundle:
    try:
        archive = zipfile.ZipFile(path_or_file)
    except zipfile.BadZipFile:
        raise SourceError(_("不是有效的 ZIP 文件")) from None
    return ZipBundle(label=label, archive=archive)


def xlsx_cell_text(value: object) -> str:
    """A workbook cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def xlsx_sheet_rows(path: Path | IO[bytes], sheet: str) -> Rows:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for line, row in enumerate(workbook[sheet].iter_rows(min_row=1, values_only=True), start=1):
            cells = [xlsx_cell_text(c) for c in row]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                yield line, cells
    finally:
        workbook.close()


def xlsx_sheet_names(path: Path | IO[bytes]) -> list[str]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise SourceError(_("不是有效的 Excel 工作簿（.xlsx）")) from exc
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def xlsx_bundle(path: Path, *, label: str) -> Bundle:
    """One sheet per table, named like the table (`accounts` or `accounts.csv`), same columns as the CSV."""
    bundle = Bundle(label=label)
    for sheet in xlsx_sheet_names(path):
        name = sheet.strip().lower().removesuffix(".csv")
        if f"{name}.csv" not in FILENAMES:
            bundle.ignored.append(sheet)
            continue
        bundle.tables[name] = TableSource(
            table=name, label=sheet, open_rows=partial(xlsx_sheet_rows, path, sheet), size_bytes=path.stat().st_size
        )
    return bundle
