"""资料: upload an evidence file to a deal, download a document one may see (never served from a public folder)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import DomainError
from xiaoguan.documents.models import Document
from xiaoguan.documents.selectors import documents_visible_to
from xiaoguan.documents.services import document_store
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.web.views.common import AuthedRequest


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("资料类别"), choices=Document.Kind.choices, initial=Document.Kind.REQUIREMENTS_SURVEY)
    file = forms.FileField(label=gettext_lazy("文件"), error_messages={"required": gettext_lazy("请选择要上传的文件")})


@login_required
@require_POST
def document_upload(request: AuthedRequest, external_id: str) -> HttpResponse:
    """Attach an evidence file (需求调研表, 报价单 …) to the deal; a refusal comes back as a message on the deal page."""
    opportunity = get_object_or_404(opportunity_list_visible_to(user=request.user), external_id=external_id)
    form = DocumentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("web:opportunity_detail", external_id=opportunity.external_id)
    upload = form.cleaned_data["file"]
    try:
        document = document_store(
            file=upload, name=upload.name or "", kind=form.cleaned_data["kind"], uploaded_by=request.user, now=clock_now(), opportunity=opportunity,
        )
    except DomainError as exc:
        detail = " ".join(m for messages_ in getattr(exc, "field_errors", {}).values() for m in messages_)
        messages.error(request, detail or exc.message)
    else:
        messages.success(request, _("已上传“%(name)s”（%(kind)s）。") % {"name": document.original_name, "kind": document.get_kind_display()})
    return redirect("web:opportunity_detail", external_id=opportunity.external_id)


@login_required
@require_GET
def document_download(request: AuthedRequest, external_id: str) -> HttpResponseBase:
    document = get_object_or_404(documents_visible_to(user=request.user), external_id=external_id)
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name, content_type=document.content_type)
    # The type was sniffed on upload; the browser must not guess another one (an "image" that is really HTML).
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
