"""Writes of documents: store an uploaded file once it has proved to be an allowed type of an allowed size."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.customers.models import Account
from xiaoguan.documents.filetypes import ALLOWED, EXECUTABLE, EXTENSIONS, name_clean, sniff
from xiaoguan.documents.models import Document
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import User
from xiaoguan.org.visibility import can_change

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def document_max_bytes() -> int:
    """The upload limit (`XIAOGUAN_DOCUMENT_MAX_BYTES`, default 20 MB)."""
    return int(getattr(settings, "XIAOGUAN_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _read_limited(file: IO[bytes], limit: int) -> bytes:
    # One byte past the limit is enough to refuse; a 2 GB upload is never held in memory.
    data = file.read(limit + 1)
    return data if isinstance(data, bytes) else bytes(data)


def allowed_types_label() -> str:
    return "、".join(dict.fromkeys(t.label.split(" ")[0] for t in ALLOWED))


@transaction.atomic
def document_store(
    *,
    file: IO[bytes],
    name: str,
    kind: str,
    uploaded_by: User,
    now: datetime,
    account: Account | None = None,
    opportunity: Opportunity | None = None,
) -> Document:
    """Keep an uploaded file as a document of `kind`, on a deal and/or an account the uploader may change.

    Refused (nothing stored): an unknown kind, an empty or oversized file, bytes that are not an allowed type, a name
    whose extension disagrees with the bytes or hides an executable suffix.
    """
    if opportunity is not None and account is None:
        account = opportunity.account
    owner = opportunity.owner if opportunity is not None else (account.owner if account is not None else uploaded_by)
    if not can_change(user=uploaded_by, owner=owner):
        raise NotAllowedError()
    if kind not in Document.Kind.values:
        raise ValidationFailedError(field_errors={"kind": [_("请选择资料类别")]})
    limit = document_max_bytes()
    data = _read_limited(file, limit)
    if not data:
        raise ValidationFailedError(field_errors={"file": [_("文件是空的")]})
    if len(data) > limit:
        raise ValidationFailedError(field_errors={"file": [_("文件超过 %(limit)s 的上限") % {"limit": filesizeformat(limit)}]})
    clean = name_clean(name)
    if any(ext in EXECUTABLE for ext in clean.extensions):
        raise ValidationFailedError(field_errors={"file": [_("文件名含有可执行文件的扩展名，已拒绝")]})
    file_type = sniff(data)
    if file_type is None:
        raise ValidationFailedError(field_errors={"file": [_("不支持的文件类型，只接受 %(types)s") % {"types": allowed_types_label()}]})
    claimed = clean.extensions[-1] if clean.extensions else ""
    if claimed and claimed not in EXTENSIONS[file_type]:
        raise ValidationFailedError(
            field_errors={"file": [_("文件扩展名 .%(claimed)s 与文件内容（%(real)s）不符") % {"claimed": claimed, "real": file_type.label}]}
        )
    document = Document(
        original_name=clean.with_extension(claimed or file_type.extension)[:200], content_type=file_type.content_type,
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), kind=kind, uploaded_by=uploaded_by, uploaded_at=now,
        account=account, opportunity=opportunity,
    )
    # The stored name is ours: no part of the uploader's name reaches the file system.
    document.file.save(f"{uuid.uuid4().hex}.{file_type.extension}", ContentFile(data), save=False)
    # Written before the row: a rollback may leave an unreferenced file, never a row without its file.
    document.save()
    return document
