"""What a file really is, from its first bytes, and a name that is safe to show and to send back.

Only the types on the allow-list are kept. A name or a browser's Content-Type is a claim; the bytes decide. Office
files with macros (docm, xlsm, ole files carrying a VBA project) are refused: they are how malware rides on quotes.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str
    label: str


PDF = FileType("pdf", "application/pdf", "PDF")
PNG = FileType("png", "image/png", "PNG")
JPEG = FileType("jpg", "image/jpeg", "JPEG")
GIF = FileType("gif", "image/gif", "GIF")
WEBP = FileType("webp", "image/webp", "WebP")
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word")
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel")
PPTX = FileType("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint")
DOC = FileType("doc", "application/msword", "Word 97-2003")
XLS = FileType("xls", "application/vnd.ms-excel", "Excel 97-2003")
TXT = FileType("txt", "text/plain", "文本")

ALLOWED: tuple[FileType, ...] = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, DOC, XLS, TXT)
# Names a file may carry for each type; anything else (report.pdf.exe, photo.jpg.js) is refused.
EXTENSIONS: dict[FileType, frozenset[str]] = {
    PDF: frozenset({"pdf"}), PNG: frozenset({"png"}), JPEG: frozenset({"jpg", "jpeg"}), GIF: frozenset({"gif"}),
    WEBP: frozenset({"webp"}), DOCX: frozenset({"docx"}), XLSX: frozenset({"xlsx"}), PPTX: frozenset({"pptx"}),
    DOC: frozenset({"doc"}), XLS: frozenset({"xls"}), TXT: frozenset({"txt", "csv", "md"}),
}
# Inner suffixes that make a name lie about itself ("报价单.exe.pdf" looks like an exe to a hurried reader).
EXECUTABLE = frozenset({
    "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "js", "jse", "vbs", "vbe", "wsf", "wsh", "hta",
    "ps1", "psm1", "sh", "jar", "apk", "lnk", "reg", "docm", "xlsm", "pptm", "html", "htm", "svg", "iso", "app",
})

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SNIFF_BYTES = 8192


def _zip_office(head: bytes, data: bytes) -> FileType | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
        return None
    if any(n.startswith("word/") for n in names):
        return DOCX
    if any(n.startswith("xl/") for n in names):
        return XLSX
    if any(n.startswith("ppt/") for n in names):
        return PPTX
    return None


def _ole_office(data: bytes) -> FileType | None:
    # Streams of an OLE compound file are named in UTF-16 inside its directory; a VBA project means macros.
    if "VBA".encode("utf-16-le") in data or b"_VBA_PROJECT" in data:
        return None
    if "WordDocument".encode("utf-16-le") in data:
        return DOC
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return XLS
    return None


def _plain_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # a multi-byte character cut by the sniff window is fine
            return False
        text = head[: exc.start].decode("utf-8")
    # Markup and scripts are not "text" here: a browser would run them.
    lowered = text.lower()
    return not any(tag in lowered for tag in ("<script", "<html", "<svg", "<!doctype", "<iframe", "<?xml"))


def sniff(data: bytes) -> FileType | None:
    """The allowed type these bytes are, or None."""
    head = data[:SNIFF_BYTES]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _zip_office(head, data)
    if head.startswith(_OLE):
        return _ole_office(data)
    if head and _plain_text(head):
        return TXT
    return None


# Bidirectional controls (U+202E turns "gpj.exe" into "exe.jpg" on screen), zero-width and other format characters.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;`$&\'%]')
NAME_MAX = 120


@dataclass(frozen=True)
class CleanName:
    stem: str
    extensions: tuple[str, ...]  # every suffix, lower case, outermost last

    def with_extension(self, extension: str) -> str:
        return f"{self.stem}.{extension}"


def name_clean(raw: str) -> CleanName:
    """The last path component, NFKC, without invisible or shell-special characters, without leading dots."""
    name = unicodedata.normalize("NFKC", raw or "")
    name = _INVISIBLE.sub("", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    parts = [p.strip() for p in name.split(".")]
    stem, suffixes = parts[0], [p.lower() for p in parts[1:] if p]
    # Dots inside the stem become underscores so that exactly one suffix remains visible.
    if len(suffixes) > 1:
        stem = "_".join([stem, *suffixes[:-1]])
    stem = re.sub(r"\s+", " ", stem).strip(" ._") or "file"
    return CleanName(stem=stem[:NAME_MAX], extensions=tuple(suffixes))
