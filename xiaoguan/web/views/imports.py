"""导入: an admin's bulk import (ZIP of the CSV folder or an .xlsx workbook) and a rep's own leads spreadsheet.

Both are upload → report/preview → confirm. The work is in xiaoguan.interchange.uploads; this module parses the
request, checks who may do it, and renders.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xiaoguan.core.errors import DomainError
from xiaoguan.interchange.leads_sheet import FIELDS, PREVIEW_ROWS, leads_preview
from xiaoguan.interchange.models import ImportRun
from xiaoguan.interchange.uploads import (
    UploadRefusedError,
    leads_upload_confirm,
    leads_upload_map,
    leads_upload_mapping,
    leads_upload_sheet,
    leads_upload_store,
    upload_cancel,
    upload_confirm,
    upload_full_report,
    upload_limit_bytes,
    upload_store,
    upload_too_large_message,
)
from xiaoguan.web.views.common import AuthedRequest, forbidden, is_admin, works_sales

SHOWN_PROBLEMS = 200
# Multipart framing around the file; a body larger than the limit plus this cannot hold an acceptable file.
MULTIPART_OVERHEAD = 64 * 1024
# Loads of whole folders, from the pages or the command line (a rep's leads sheet is the rep's own business).
BULK_KINDS = (ImportRun.Kind.ZIP, ImportRun.Kind.WORKBOOK, ImportRun.Kind.FOLDER, ImportRun.Kind.DEMO)


def _declared_too_large(request: AuthedRequest) -> bool:
    """Refuse from the Content-Length header, before Django spools the body to disk."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > upload_limit_bytes() + MULTIPART_OVERHEAD


def _home_context(request: AuthedRequest, **extra: Any) -> dict[str, Any]:
    runs = ImportRun.objects.filter(kind__in=BULK_KINDS).select_related("created_by")[:20]
    return {"runs": runs, "limit_mb": upload_limit_bytes() // (1024 * 1024), **extra}


@login_required
@require_http_methods(["GET", "POST"])
def import_home(request: AuthedRequest) -> HttpResponse:
    """The admin's bulk import: upload a ZIP/.xlsx, then see its report."""
    if not is_admin(request.user):
        return forbidden(request)
    if request.method == "GET":
        return render(request, "web/imports/home.html", _home_context(request))
    if _declared_too_large(request):
        return render(request, "web/imports/home.html", _home_context(request, error=upload_too_large_message()), status=413)
    upload = request.FILES.get("file")
    if upload is None:
        return render(request, "web/imports/home.html", _home_context(request, error=_("请选择要上传的文件")), status=422)
    try:
        run = upload_store(stream=upload, filename=upload.name or "", size=upload.size or 0, user=request.user)
    except UploadRefusedError as exc:
        status = 413 if (upload.size or 0) > upload_limit_bytes() else 422
        return render(request, "web/imports/home.html", _home_context(request, error=exc.message), status=status)
    return redirect("web:import_detail", token=run.token)


def _bulk_run(request: AuthedRequest, token: str) -> ImportRun:
    return get_object_or_404(ImportRun, token=token, kind__in=BULK_KINDS)


def _problems(report: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return list(report.get(key, []))[:SHOWN_PROBLEMS]


@login_required
def import_detail(request: AuthedRequest, token: str) -> HttpResponse:
    if not is_admin(request.user):
        return forbidden(request)
    run = _bulk_run(request, token)
    report = run.report or {}
    context = {
        "run": run,
        "report": report,
        "tables": report.get("tables", {}),
        "errors": _problems(report, "errors"),
        "warnings": _problems(report, "warnings"),
        "error_count": report.get("error_count", len(report.get("errors", []))),
        "warning_count": report.get("warning_count", len(report.get("warnings", []))),
        "shown": SHOWN_PROBLEMS,
        "pending": run.status == ImportRun.Status.PENDING,
    }
    return render(request, "web/imports/detail.html", context)


@login_required
@require_POST
def import_confirm(request: AuthedRequest, token: str) -> HttpResponse:
    if not is_admin(request.user):
        return forbidden(request)
    run = _bulk_run(request, token)
    try:
        report = upload_confirm(run=run, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:import_detail", token=run.token)
    if report.errors:
        messages.error(request, _("数据在预览后有变化，导入被拒绝，没有写入任何数据。"))
    else:
        messages.success(request, report.summary())
    return redirect("web:import_detail", token=run.token)


@login_required
@require_POST
def import_cancel(request: AuthedRequest, token: str) -> HttpResponse:
    if not is_admin(request.user):
        return forbidden(request)
    run = _bulk_run(request, token)
    try:
        upload_cancel(run=run)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("web:import_home")


@login_required
def import_report(request: AuthedRequest, token: str) -> HttpResponse:
    """The full report as JSON (the page lists the first problems; this file lists each one)."""
    if not is_admin(request.user):
        return forbidden(request)
    run = _bulk_run(request, token)
    data = upload_full_report(run=run)
    if data is None:
        return forbidden(request, _("完整报告已不可用"))
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-report-{run.token}.json"'
    return response


# -- a rep's leads spreadsheet ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def leads_import(request: AuthedRequest) -> HttpResponse:
    """Step 1: upload a spreadsheet of one's own leads (.xlsx, or .csv in UTF-8/GBK)."""
    if not works_sales(request.user):
        return forbidden(request)
    context: dict[str, Any] = {"limit_mb": upload_limit_bytes() // (1024 * 1024), "fields": list(FIELDS.values())}
    if request.method == "GET":
        return render(request, "web/imports/leads_upload.html", context)
    if _declared_too_large(request):
        return render(request, "web/imports/leads_upload.html", {**context, "error": upload_too_large_message()}, status=413)
    upload = request.FILES.get("file")
    if upload is None:
        return render(request, "web/imports/leads_upload.html", {**context, "error": _("请选择要上传的文件")}, status=422)
    try:
        run = leads_upload_store(stream=upload, filename=upload.name or "", size=upload.size or 0, user=request.user)
    except UploadRefusedError as exc:
        return render(request, "web/imports/leads_upload.html", {**context, "error": exc.message}, status=422)
    return redirect("web:leads_import_map", token=run.token)


def _own_leads_run(request: AuthedRequest, token: str) -> ImportRun:
    return get_object_or_404(ImportRun, token=token, kind=ImportRun.Kind.LEADS, created_by=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def leads_import_map(request: AuthedRequest, token: str) -> HttpResponse:
    """Step 2: which column is which (guessed from the headers), and every row as the lead it would become."""
    run = _own_leads_run(request, token)
    if run.status != ImportRun.Status.PENDING:
        return redirect("web:lead_list")
    if request.method == "POST":
        chosen = {}
        for key, value in request.POST.items():
            if key.startswith("col-") and key[4:].isdigit() and value in FIELDS:
                chosen[int(key[4:])] = value
        try:
            leads_upload_map(run=run, mapping=chosen)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("web:lead_list")
    sheet = leads_upload_sheet(run=run)
    mapping = leads_upload_mapping(run=run)
    preview = leads_preview(sheet=sheet, mapping=mapping, user=request.user)
    columns = [
        {
            "index": i,
            "title": title or _("第 %(n)d 列") % {"n": i + 1},
            "field": mapping.get(i, ""),
            "sample": next((r[i] for r in sheet.rows if r[i].strip()), ""),
        }
        for i, title in enumerate(sheet.header)
    ]
    context = {
        "run": run,
        "columns": columns,
        "fields": list(FIELDS.items()),
        "mapped": [FIELDS[name] for name in mapping.values()],
        "rows": [
            {
                "line": row.line,
                "cells": [row.values.get(name, "") for name in mapping.values()],
                "problems": row.problems,
                "notes": row.notes,
            }
            for row in preview.rows[:PREVIEW_ROWS]
        ],
        "refused": preview.refused,
        "importable": len(preview.importable),
        "total": len(preview.rows),
        "confirm_url": reverse("web:leads_import_confirm", kwargs={"token": run.token}),
    }
    if request.htmx:
        return render(request, "web/imports/leads_map.html#preview", context)
    return render(request, "web/imports/leads_map.html", context)


@login_required
@require_POST
def leads_import_confirm(request: AuthedRequest, token: str) -> HttpResponse:
    """Step 3: create the importable rows as the person's own leads."""
    run = _own_leads_run(request, token)
    try:
        result = leads_upload_confirm(run=run, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:lead_list")
    text = _("已导入 %(created)d 条线索。") % {"created": result.created}
    if result.refused:
        text += _("有 %(refused)d 行因问题未导入。") % {"refused": result.refused}
    messages.success(request, text)
    return redirect("web:lead_list")
