"""Bulk imports through the UI: an admin uploads a ZIP of the folder or an .xlsx workbook, sees the report, confirms.

The upload is kept under MEDIA_ROOT until it is confirmed or cancelled, with a pending `ImportRun`. The preview is the
real import rolled back, so its counts (new, changed, unchanged) are exact. Anything larger than
`XIAOGUAN_UPLOAD_MAX_BYTES` is refused with a pointer to `xiaoguan import`, which streams folders of any size.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import DomainError, InvalidStateError
from xiaoguan.interchange.importer import interchange_import, report_for_storage
from xiaoguan.interchange.leads_sheet import FIELDS, LeadsImported, Sheet, SheetError, leads_import, mapping_guess, sheet_read
from xiaoguan.interchange.models import ImportRun
from xiaoguan.interchange.report import ImportReport
from xiaoguan.interchange.sources import Bundle, SourceError, xlsx_bundle, zip_bundle
from xiaoguan.org.models import User

# A ZIP may not expand beyond this many times the upload limit (a "zip bomb" is refused before it is read).
MAX_EXPANSION = 20
KINDS = {".zip": ImportRun.Kind.ZIP, ".xlsx": ImportRun.Kind.WORKBOOK}


class UploadRefusedError(DomainError):
    code = "upload_refused"
    default_message = gettext_lazy("无法接受这个文件")


def upload_limit_bytes() -> int:
    return int(settings.XIAOGUAN_UPLOAD_MAX_BYTES)


def upload_too_large_message() -> str:
    return _("文件超过 %(mb)d MB 的上限。更大的数据请在服务器上用命令导入：xiaoguan import 文件夹") % {
        "mb": upload_limit_bytes() // (1024 * 1024)
    }


def upload_size_check(*, size: int) -> None:
    if size > upload_limit_bytes():
        raise UploadRefusedError(upload_too_large_message())


def _uploads_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _bundle(run: ImportRun) -> Bundle:
    path = Path(run.upload)
    if run.kind == ImportRun.Kind.ZIP:
        bundle = zip_bundle(path, label=run.source_name)
        expanded = sum(info.file_size for info in bundle.archive.infolist())
        if expanded > MAX_EXPANSION * upload_limit_bytes():
            bundle.close()
            raise UploadRefusedError(_("压缩包解压后过大；请用命令行 xiaoguan import 导入"))
        return bundle
    return xlsx_bundle(path, label=run.source_name)


def _full_report_path(run: ImportRun) -> Path:
    return Path(run.upload).with_suffix(".report.json")


def upload_store(*, stream: IO[bytes], filename: str, size: int, user: User) -> ImportRun:
    """Keep an uploaded folder (ZIP) or workbook and preview its import. Returns the run, pending or refused."""
    upload_size_check(size=size)
    suffix = Path(filename).suffix.lower()
    if suffix not in KINDS:
        raise UploadRefusedError(_("请上传 .zip（CSV 文件夹打包）或 .xlsx（每张表一个工作表）"))
    path = _uploads_dir() / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as out:
        written = 0
        while chunk := stream.read(1 << 20):
            written += len(chunk)
            if written > upload_limit_bytes():
                out.close()
                path.unlink(missing_ok=True)
                raise UploadRefusedError(upload_too_large_message())
            out.write(chunk)
    if suffix == ".zip" and not zipfile.is_zipfile(path):
        path.unlink(missing_ok=True)
        raise UploadRefusedError(_("不是有效的 ZIP 文件"))
    run = ImportRun.objects.create(
        kind=KINDS[suffix],
        status=ImportRun.Status.PENDING,
        source_name=Path(filename).name[:255],
        upload=str(path),
        created_by=user,
        started_at=clock_now(),
    )
    report = upload_preview(run=run)
    run.report, run.rows = report_for_storage(report), sum(c.rows for c in report.tables.values())
    run.status = ImportRun.Status.PENDING if report.ok else ImportRun.Status.REFUSED
    run.save(update_fields=["report", "rows", "status"])
    if not report.ok:
        path.unlink(missing_ok=True)
    return run


def _import(run: ImportRun, *, dry_run: bool, actor: User | None = None) -> ImportReport:
    try:
        bundle = _bundle(run)
    except SourceError as exc:
        report = ImportReport(source=run.source_name)
        report.error(run.source_name, 1, "", "", exc.reason)
        return report
    try:
        if not bundle.tables and not bundle.problems:
            report = ImportReport(source=run.source_name, ignored=bundle.ignored)
            report.error(run.source_name, 1, "", "", _("没有找到可导入的表（如 users.csv / accounts 工作表）"))
            return report
        report = interchange_import(bundle=bundle, dry_run=dry_run, actor=actor, kind=run.kind, run=None if dry_run else run)
    finally:
        bundle.close()
    _full_report_path(run).write_text(json.dumps(report.as_json(), ensure_ascii=False), encoding="utf-8")
    return report


def upload_preview(*, run: ImportRun) -> ImportReport:
    """The import of the upload, rolled back: every problem row and exact counts, nothing kept."""
    return _import(run, dry_run=True)


@transaction.atomic
def upload_confirm(*, run: ImportRun, user: User) -> ImportReport:
    """Import a previewed upload for real. The file is removed afterwards; the run keeps the report."""
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.status != ImportRun.Status.PENDING:
        raise InvalidStateError(_("这个导入已处理过"))
    report = _import(run, dry_run=False, actor=user)
    if report.errors:
        # The data changed since the preview (references removed meanwhile): nothing was written.
        run.status, run.report = ImportRun.Status.REFUSED, report_for_storage(report)
        run.save(update_fields=["status", "report"])
    Path(run.upload).unlink(missing_ok=True)
    return report


def upload_cancel(*, run: ImportRun) -> None:
    if run.status != ImportRun.Status.PENDING:
        raise InvalidStateError(_("这个导入已处理过"))
    run.status, run.finished_at = ImportRun.Status.CANCELLED, clock_now()
    run.save(update_fields=["status", "finished_at"])
    Path(run.upload).unlink(missing_ok=True)


def upload_full_report(*, run: ImportRun) -> bytes | None:
    """The complete JSON report of the last preview or import of this upload (the run keeps the first problems)."""
    path = _full_report_path(run)
    return path.read_bytes() if run.upload and path.exists() else None


# -- a rep's leads spreadsheet ----------------------------------------------------------------------------------


def leads_upload_store(*, stream: IO[bytes], filename: str, size: int, user: User) -> ImportRun:
    """Keep a rep's leads sheet (.xlsx/.csv) while they map its columns; the guessed mapping is stored with it."""
    upload_size_check(size=size)
    suffix = Path(filename).suffix.lower()
    if suffix not in (".xlsx", ".csv", ".txt"):
        raise UploadRefusedError(_("只支持 .xlsx 或 .csv 文件"))
    data = stream.read(upload_limit_bytes() + 1)
    upload_size_check(size=len(data))
    try:
        sheet = sheet_read(stream=io.BytesIO(data), filename=filename)
    except SheetError as exc:
        raise UploadRefusedError(exc.message) from exc
    path = _uploads_dir() / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    mapping = mapping_guess(header=sheet.header)
    return ImportRun.objects.create(
        kind=ImportRun.Kind.LEADS,
        status=ImportRun.Status.PENDING,
        source_name=Path(filename).name[:255],
        upload=str(path),
        created_by=user,
        started_at=clock_now(),
        rows=len(sheet.rows),
        settings={"mapping": {str(i): name for i, name in mapping.items()}},
    )


def leads_upload_sheet(*, run: ImportRun) -> Sheet:
    with Path(run.upload).open("rb") as stream:
        return sheet_read(stream=stream, filename=run.source_name)


def leads_upload_mapping(*, run: ImportRun) -> dict[int, str]:
    return {int(i): name for i, name in run.settings.get("mapping", {}).items() if name in FIELDS}


def leads_upload_map(*, run: ImportRun, mapping: dict[int, str]) -> None:
    """The person's choice of which column fills which lead field (a field at most once)."""
    if run.status != ImportRun.Status.PENDING:
        raise InvalidStateError(_("这个导入已处理过"))
    chosen: dict[int, str] = {}
    for index, name in sorted(mapping.items()):
        if name in FIELDS and name not in chosen.values():
            chosen[index] = name
    run.settings = {**run.settings, "mapping": {str(i): name for i, name in chosen.items()}}
    run.save(update_fields=["settings"])


@transaction.atomic
def leads_upload_confirm(*, run: ImportRun, user: User) -> LeadsImported:
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.status != ImportRun.Status.PENDING or run.created_by_id != user.pk:
        raise InvalidStateError(_("这个导入已处理过"))
    now = clock_now()
    result = leads_import(sheet=leads_upload_sheet(run=run), mapping=leads_upload_mapping(run=run), user=user, now=now)
    run.status, run.finished_at = ImportRun.Status.DONE, now
    run.report = {"created": result.created, "refused": result.refused}
    run.save(update_fields=["status", "finished_at", "report"])
    Path(run.upload).unlink(missing_ok=True)
    return result
