"""What `/t/<token>` answers, as plain (status, headers, body): the WSGI fast path sends it as is, the Django view wraps
it in an HttpResponse. Booking pages are not answered here (they are forms: the Django view renders them)."""

from __future__ import annotations

import base64
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from urllib.parse import quote

from django.db.models.signals import post_delete, post_save

from xiaoguan.documents.models import Document
from xiaoguan.tracking.hits import LinkInfo, hit_record, link_cache_clear, link_for_token
from xiaoguan.tracking.models import TrackedLink

# The classic 1×1 transparent GIF (43 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# Every answer is private to one recipient and must not be cached by a proxy, or later opens would never reach us.
COMMON_HEADERS = [
    ("Cache-Control", "no-store, no-cache, must-revalidate, private"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Robots-Tag", "noindex, nofollow"),
]
# Shown by the browser itself; only these are safe to render inline from our origin (and even they get a sandbox).
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})
DOCUMENT_CACHE_MAX_BYTES = 1024 * 1024
DOCUMENT_CACHE_ENTRIES = 256
NOT_FOUND_BODY = "链接无效或已过期。如需资料，请联系发送给您的销售。\nThis link is invalid or has expired.\n".encode()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | Iterable[bytes]


def not_found() -> Answer:
    return Answer(404, [("Content-Type", "text/plain; charset=utf-8"), *COMMON_HEADERS], NOT_FOUND_BODY)


@dataclass(frozen=True)
class _Payload:
    name: str
    content_type: str
    data: bytes | None  # None: too big to keep, read from storage per hit
    document_id: int
    loaded_at: float


# A per-process copy of small documents (LRU, 60 s: another process sees a deleted document within a minute; a delete
# or save in this process drops it at once).
DOCUMENT_CACHE_SECONDS = 60.0
_documents: OrderedDict[int, _Payload] = OrderedDict()
_documents_lock = Lock()


def document_cache_clear(**_signal: object) -> None:
    with _documents_lock:
        _documents.clear()
    link_cache_clear()  # a deleted document also empties its links' document (SET NULL, without a save signal)


post_save.connect(document_cache_clear, sender=Document, dispatch_uid="tracking.documents.saved", weak=False)
post_delete.connect(document_cache_clear, sender=Document, dispatch_uid="tracking.documents.deleted", weak=False)


def _payload(document_id: int) -> _Payload | None:
    """The document's bytes from a per-process copy (small files: quotes and contracts are tens of KB); None if gone."""
    with _documents_lock:
        cached = _documents.get(document_id)
        if cached is not None and time.monotonic() - cached.loaded_at <= DOCUMENT_CACHE_SECONDS:
            _documents.move_to_end(document_id)
            return cached
    document = Document.objects.filter(pk=document_id).only("file", "original_name", "content_type", "size").first()
    if document is None or not document.file:
        return None
    data = None
    if document.size <= DOCUMENT_CACHE_MAX_BYTES:
        try:
            with document.file.open("rb") as handle:
                data = handle.read()
        except OSError:
            return None
    payload = _Payload(
        name=document.original_name, content_type=document.content_type, data=data, document_id=document_id, loaded_at=time.monotonic()
    )
    with _documents_lock:
        _documents[document_id] = payload
        while len(_documents) > DOCUMENT_CACHE_ENTRIES:
            _documents.popitem(last=False)
    return payload


def _stream(document_id: int) -> Iterable[bytes]:
    document = Document.objects.get(pk=document_id)
    with document.file.open("rb") as handle:
        while chunk := handle.read(64 * 1024):
            yield chunk


def _disposition(name: str, *, attachment: bool) -> str:
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name) or "document"
    return f"{'attachment' if attachment else 'inline'}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _document_answer(payload: _Payload, *, download: bool) -> Answer:
    attachment = download or payload.content_type not in INLINE_TYPES
    headers = [
        ("Content-Type", payload.content_type),
        ("Content-Disposition", _disposition(payload.name, attachment=attachment)),
        ("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"),
        *COMMON_HEADERS,
    ]
    if payload.data is not None:
        return Answer(200, [*headers, ("Content-Length", str(len(payload.data)))], payload.data)
    return Answer(200, headers, _stream(payload.document_id))


def answer(*, token: str, route: str, method: str, user_agent: str, ip: str, now: datetime) -> Answer | None:
    """The answer to one hit, the hit recorded. None: a booking page, which the Django view renders."""
    link = link_for_token(token, now=now)
    if link is None:
        return not_found()
    if route == "pixel":
        hit_record(link=link, route=route, method=method, user_agent=user_agent, ip=ip, now=now)
        return Answer(200, [("Content-Type", "image/gif"), ("Content-Length", str(len(PIXEL))), *COMMON_HEADERS], PIXEL)
    if link.kind == TrackedLink.Kind.BOOKING:
        return None if route == "view" else not_found()
    if link.kind == TrackedLink.Kind.URL:
        if route != "view":
            return not_found()
        hit_record(link=link, route=route, method=method, user_agent=user_agent, ip=ip, now=now)
        return Answer(302, [("Location", link.url), ("Content-Length", "0"), *COMMON_HEADERS], b"")
    return _document(link, route=route, method=method, user_agent=user_agent, ip=ip, now=now)


def _document(link: LinkInfo, *, route: str, method: str, user_agent: str, ip: str, now: datetime) -> Answer:
    payload = _payload(link.document_id) if link.document_id is not None else None
    if payload is None:  # the document was deleted: nothing to serve, nothing happened
        return not_found()
    hit_record(link=link, route=route, method=method, user_agent=user_agent, ip=ip, now=now)
    return _document_answer(payload, download=route == "download")
