"""Lead capture pages: the public web form (/f/<token>/ and its embed.js), the WeCom/DingTalk callbacks, and the
admin's pages for forms, callback channels and phone call logs."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from xiaoguan.capture import crypto
from xiaoguan.capture.channels.dingtalk import dingtalk_event_capture, dingtalk_event_open, dingtalk_success
from xiaoguan.capture.channels.wecom import Query, wecom_message_capture, wecom_message_open, wecom_verify_url
from xiaoguan.capture.models import FORM_FIELDS, FORM_FIELDS_DEFAULT, CaptureChannel, WebForm
from xiaoguan.capture.selectors import capture_list_recent, channel_by_key, channel_list, web_form_by_token, web_form_list
from xiaoguan.capture.services import call_log_record, capture_lead, channel_save, web_form_save, web_form_token_rotate
from xiaoguan.core.clock import clock_now, org_tz
from xiaoguan.core.errors import DomainError, ValidationFailedError
from xiaoguan.core.ratelimit import client_ip, rate_for, rate_limit_hit
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import Team, User
from xiaoguan.web.views.common import AuthedRequest, forbidden, form_take_error, is_admin

logger = logging.getLogger(__name__)

HONEYPOT = "website"  # a field people never see; bots fill every field they find
FORM_RATE_DEFAULT = "10/60"  # per IP; settings.XIAOGUAN_RATE_LIMITS["webform"] overrides
CALLS_MAX_ROWS = 20000
FORM_POST_MAX_VALUE = 20000  # characters kept of any one posted value in the raw payload


# --- the public web form ----------------------------------------------------------------------------------------------


class PublicLeadForm(forms.Form):
    """The fields a web form shows; which ones is the admin's choice (WebForm.fields)."""

    name = forms.CharField(label=FORM_FIELDS["name"], required=False)
    company = forms.CharField(label=FORM_FIELDS["company"], required=False)
    phone = forms.CharField(label=FORM_FIELDS["phone"], required=False)
    email = forms.CharField(label=FORM_FIELDS["email"], required=False)
    city = forms.CharField(label=FORM_FIELDS["city"], required=False)
    industry = forms.CharField(label=FORM_FIELDS["industry"], required=False)
    company_size = forms.CharField(label=FORM_FIELDS["company_size"], required=False)
    budget = forms.CharField(label=FORM_FIELDS["budget"], required=False)
    message = forms.CharField(label=FORM_FIELDS["message"], required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, shown: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contactable = [f for f in ("phone", "email") if f in self.fields]
        if contactable and not any((data.get(f) or "").strip() for f in contactable):
            raise forms.ValidationError(_("请留下手机或邮箱，方便我们联系您"))
        return data


def _raw_post(request: HttpRequest) -> dict[str, Any]:
    """The post as it came (minus the honeypot), with where it came from."""
    values = {k: v[:FORM_POST_MAX_VALUE] for k, v in request.POST.items() if k != HONEYPOT}
    return {
        "post": values,
        "referer": request.META.get("HTTP_REFERER", "")[:1000],
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500],
    }


def _thanks_url(form: WebForm) -> str:
    return form.thank_you_url or reverse("web:capture_form_thanks", kwargs={"token": form.token})


@csrf_exempt  # the form lives on other sites; the signed token in the URL names it, the rate limit guards it
@require_http_methods(["GET", "POST"])
def form_public(request: HttpRequest, token: str) -> HttpResponse:
    form = web_form_by_token(token=token)
    if form is None:
        return render(request, "web/capture/form_gone.html", status=404)
    shown = form.shown_fields
    if request.method == "GET":
        return render(request, "web/capture/form_page.html", {"form": form, "lead_form": PublicLeadForm(shown=shown)})
    ip = client_ip(request)
    if rate_limit_hit(name="webform", key=ip or "-", rate=rate_for("webform", FORM_RATE_DEFAULT)):
        logger.warning("web form %s: rate limit hit from %s", form.pk, ip)
        return render(request, "web/capture/form_busy.html", {"form": form}, status=429)
    if request.POST.get(HONEYPOT):
        logger.info("web form %s: honeypot filled from %s, dropped", form.pk, ip)
        return HttpResponseRedirect(_thanks_url(form), status=303)
    lead_form = PublicLeadForm(request.POST, shown=shown)
    if lead_form.is_valid():
        data = dict(lead_form.cleaned_data)
        message = data.pop("message", "") or ""
        try:
            capture_lead(
                source=form.source, fields=data, raw=_raw_post(request), now=clock_now(), web_form=form, ip=ip or None, message=message,
            )
        except ValidationFailedError as exc:
            form_take_error(lead_form, exc)
        else:
            return HttpResponseRedirect(_thanks_url(form), status=303)
    return render(request, "web/capture/form_page.html", {"form": form, "lead_form": lead_form}, status=422)


@require_http_methods(["GET"])
def form_embed(request: HttpRequest, token: str) -> HttpResponse:
    """A script that writes the form into the page that includes it: no iframe, no other files."""
    form = web_form_by_token(token=token)
    if form is None:
        return HttpResponse("/* form not found */", status=404, content_type="application/javascript; charset=utf-8")
    config = {
        "action": request.build_absolute_uri(reverse("web:capture_form_public", kwargs={"token": form.token})),
        "title": form.title,
        "intro": form.intro,
        "honeypot": HONEYPOT,
        "submit": _("提交"),
        "fields": [
            {"name": name, "label": str(FORM_FIELDS[name]), "type": "email" if name == "email" else ("tel" if name == "phone" else "text"),
             "multiline": name == "message"}
            for name in form.shown_fields
        ],
    }
    # Escaped like json_script: the JSON cannot close the script or open a comment in the host page.
    payload = json.dumps(config, ensure_ascii=False).replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    response = render(request, "web/capture/embed.js", {"config": payload}, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_http_methods(["GET"])
def form_thanks(request: HttpRequest, token: str) -> HttpResponse:
    form = web_form_by_token(token=token)
    return render(request, "web/capture/form_thanks.html", {"form": form})


# --- WeCom / DingTalk callbacks ----------------------------------------------------------------------------------------


def _forged(request: HttpRequest, channel: CaptureChannel | None, exc: Exception) -> HttpResponse:
    logger.warning(
        "callback refused: %s %s from %s (channel %s): %s", request.method, request.path, client_ip(request),
        channel.pk if channel else "-", exc,
    )
    return HttpResponse("forbidden", status=403, content_type="text/plain")


@csrf_exempt  # the platforms sign their requests; that signature is checked instead
@require_http_methods(["GET", "POST"])
def hook_wecom(request: HttpRequest, key: str) -> HttpResponse:
    channel = channel_by_key(kind=CaptureChannel.Kind.WECOM, key=key)
    if channel is None:
        return _forged(request, None, LookupError("unknown channel key"))
    query = Query(
        msg_signature=request.GET.get("msg_signature", ""), timestamp=request.GET.get("timestamp", ""), nonce=request.GET.get("nonce", ""),
    )
    try:
        if request.method == "GET":
            return HttpResponse(wecom_verify_url(channel=channel, query=query, echostr=request.GET.get("echostr", "")), content_type="text/plain")
        message = wecom_message_open(channel=channel, query=query, body=request.body)
    except (crypto.CallbackCryptoError, UnicodeDecodeError) as exc:
        return _forged(request, channel, exc)
    try:
        wecom_message_capture(channel=channel, message=message, now=clock_now(), ip=client_ip(request) or None)
    except DomainError as exc:
        # Authentic but unusable (e.g. nothing to make a lead of): the platform must not retry it.
        logger.info("wecom message not captured: %s", exc)
    return HttpResponse("success", content_type="text/plain")


@csrf_exempt
@require_http_methods(["POST"])
def hook_dingtalk(request: HttpRequest, key: str) -> HttpResponse:
    channel = channel_by_key(kind=CaptureChannel.Kind.DINGTALK, key=key)
    if channel is None:
        return _forged(request, None, LookupError("unknown channel key"))
    params = request.GET
    try:
        event = dingtalk_event_open(
            channel=channel,
            signature=params.get("msg_signature") or params.get("signature", ""),
            timestamp=params.get("timeStamp") or params.get("timestamp", ""),
            nonce=params.get("nonce", ""),
            body=request.body,
        )
    except crypto.CallbackCryptoError as exc:
        return _forged(request, channel, exc)
    try:
        dingtalk_event_capture(channel=channel, event=event, now=clock_now(), ip=client_ip(request) or None)
    except DomainError as exc:
        logger.info("dingtalk event not captured: %s", exc)
    return JsonResponse(dingtalk_success(channel=channel))


# --- admin pages --------------------------------------------------------------------------------------------------------


class WebFormForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100, help_text=gettext_lazy("只在后台显示，例如“官网-产品页”"))
    title = forms.CharField(label=gettext_lazy("表单标题"), max_length=100, required=False)
    intro = forms.CharField(label=gettext_lazy("说明文字"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    shown = forms.MultipleChoiceField(
        label=gettext_lazy("显示字段"), choices=[(k, v) for k, v in FORM_FIELDS.items()], widget=forms.CheckboxSelectMultiple,
    )
    thank_you_url = forms.URLField(label=gettext_lazy("提交后跳转"), required=False, max_length=500, help_text=gettext_lazy("留空则显示我们的感谢页"))
    source = forms.ChoiceField(label=gettext_lazy("线索来源"), choices=Lead.Source.choices, initial=Lead.Source.WEB_FORM)
    team = forms.ModelChoiceField(label=gettext_lazy("默认大区"), queryset=Team.objects.filter(kind=Team.Kind.REGION), required=False)
    enabled = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)


class ChannelForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    token = forms.CharField(label="Token", max_length=64)
    encoding_aes_key = forms.CharField(label="EncodingAESKey", max_length=43, min_length=43)
    receive_id = forms.CharField(label=gettext_lazy("CorpID / AppKey"), max_length=64,
                                 help_text=gettext_lazy("企业微信填企业 ID；钉钉事件订阅填应用的 AppKey（通讯录回调填 CorpId）"))
    team = forms.ModelChoiceField(label=gettext_lazy("默认大区"), queryset=Team.objects.filter(kind=Team.Kind.REGION), required=False)
    enabled = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)


def _snippet(request: HttpRequest, form: WebForm) -> dict[str, str]:
    embed = request.build_absolute_uri(reverse("web:capture_form_embed", kwargs={"token": form.token}))
    page = request.build_absolute_uri(reverse("web:capture_form_public", kwargs={"token": form.token}))
    return {"embed_url": embed, "page_url": page, "snippet": f'<script src="{embed}" async></script>'}


@login_required
def capture_home(request: AuthedRequest) -> HttpResponse:
    if not is_admin(request.user):
        return forbidden(request)
    return render(request, "web/capture/home.html", {
        "forms": web_form_list(), "channels": channel_list(), "captures": capture_list_recent(limit=30),
    })


@login_required
@require_http_methods(["GET", "POST"])
def web_form_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    if not is_admin(request.user):
        return forbidden(request)
    instance = get_object_or_404(WebForm, pk=pk) if pk is not None else None
    initial: dict[str, Any] = {"shown": FORM_FIELDS_DEFAULT, "enabled": True, "source": Lead.Source.WEB_FORM}
    if instance is not None:
        initial = {
            "name": instance.name, "title": instance.title, "intro": instance.intro, "shown": instance.shown_fields,
            "thank_you_url": instance.thank_you_url, "source": instance.source, "team": instance.team, "enabled": instance.enabled,
        }
    form = WebFormForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            values = {**form.cleaned_data, "fields": form.cleaned_data["shown"]}
            saved = web_form_save(by=request.user, now=clock_now(), values=values, form=instance)
        except DomainError as exc:
            form_take_error(form, exc)
        else:
            messages.success(request, _("表单已保存"))
            return redirect("web:capture_form_edit", pk=saved.pk)
    context: dict[str, Any] = {"form": form, "web_form": instance}
    if instance is not None:
        context.update(_snippet(request, instance))
    return render(request, "web/capture/web_form.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def web_form_rotate(request: AuthedRequest, pk: int) -> HttpResponse:
    if not is_admin(request.user):
        return forbidden(request)
    web_form_token_rotate(form=get_object_or_404(WebForm, pk=pk), by=request.user)
    messages.success(request, _("已生成新链接，旧的嵌入代码和链接已失效"))
    return redirect("web:capture_form_edit", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    if not is_admin(request.user):
        return forbidden(request)
    instance = get_object_or_404(CaptureChannel, pk=pk) if pk is not None else None
    kind = instance.kind if instance else request.GET.get("kind", CaptureChannel.Kind.WECOM)
    if kind not in CaptureChannel.Kind.values:
        kind = CaptureChannel.Kind.WECOM
    initial: dict[str, Any] = {"enabled": True}
    if instance is not None:
        initial = {f: getattr(instance, f) for f in ("name", "token", "encoding_aes_key", "receive_id", "team", "enabled")}
    form = ChannelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = channel_save(by=request.user, now=clock_now(), values={**form.cleaned_data, "kind": kind}, channel=instance)
        except DomainError as exc:
            form_take_error(form, exc)
        else:
            messages.success(request, _("回调渠道已保存"))
            return redirect("web:capture_channel_edit", pk=saved.pk)
    context: dict[str, Any] = {"form": form, "channel": instance, "kind": kind, "kind_label": CaptureChannel.Kind(kind).label}
    if instance is not None:
        name = "web:capture_hook_wecom" if instance.kind == CaptureChannel.Kind.WECOM else "web:capture_hook_dingtalk"
        context["callback_url"] = request.build_absolute_uri(reverse(name, kwargs={"key": instance.url_key}))
    return render(request, "web/capture/channel.html", context, status=422 if form.errors else 200)


# --- phone call logs (CSV) --------------------------------------------------------------------------------------------

CALL_OUTCOMES = {
    "created": gettext_lazy("新线索"), "merged": gettext_lazy("并入已有线索"), "linked": gettext_lazy("关联已有客户"),
    "activity": gettext_lazy("记为电话跟进"), "duplicate": gettext_lazy("已记录过"), "ignored": gettext_lazy("未处理"),
}
CALL_HEADERS = {
    "caller": ("caller", "主叫", "主叫号码", "来电号码"),
    "callee": ("callee", "被叫", "被叫号码"),
    "started_at": ("started_at", "开始时间", "通话时间", "呼叫时间"),
    "duration_seconds": ("duration_seconds", "duration", "通话时长", "时长", "时长(秒)", "通话时长(秒)"),
    "rep": ("rep", "坐席", "销售", "员工", "rep_email", "rep_id"),
    "direction": ("direction", "方向", "呼叫类型"),
}


def _call_columns(header: list[str]) -> dict[str, int]:
    cleaned = [h.strip().lower() for h in header]
    columns = {}
    for field, names in CALL_HEADERS.items():
        for index, title in enumerate(cleaned):
            if title in names:
                columns[field] = index
                break
    return columns


def _started_at(text: str) -> datetime | None:
    value = parse_datetime(text.strip().replace("/", "-"))
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=org_tz())


def _rep_lookup() -> dict[str, User]:
    reps: dict[str, User] = {}
    for user in User.objects.filter(is_active=True).only("pk", "email", "external_id", "name", "phone", "role", "team_id"):
        for key in (user.email or "", user.external_id, user.name):
            if key:
                reps.setdefault(key.lower(), user)
    return reps


@login_required
@require_http_methods(["GET", "POST"])
def call_logs_upload(request: AuthedRequest) -> HttpResponse:
    """The phone system's call list (CSV: caller, callee, started_at, duration_seconds, rep[, direction])."""
    if not is_admin(request.user):
        return forbidden(request)
    context: dict[str, Any] = {"headers": CALL_HEADERS}
    upload = request.FILES.get("file") if request.method == "POST" else None
    if request.method == "POST":
        if upload is None:
            context["error"] = _("请选择 CSV 文件")
            return render(request, "web/capture/calls.html", context, status=422)
        context["summary"], context["problems"] = _calls_import(request.user, upload.read())
    return render(request, "web/capture/calls.html", context, status=422 if context.get("problems") and not context.get("summary") else 200)


def _calls_import(by: User, data: bytes) -> tuple[dict[str, int], list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {}, [_("表格是空的")]
    columns = _call_columns(rows[0])
    missing = [f for f in ("caller", "callee", "started_at", "duration_seconds") if f not in columns]
    if missing:
        return {}, [_("缺少列：%(columns)s") % {"columns": ", ".join(missing)}]
    reps = _rep_lookup()
    summary: dict[str, int] = {}
    problems: list[str] = []
    now = clock_now()
    for line, cells in enumerate(rows[1 : CALLS_MAX_ROWS + 1], start=2):
        def cell(field: str, cells: list[str] = cells) -> str:
            index = columns.get(field)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        started_at = _started_at(cell("started_at"))
        try:
            duration = int(float(cell("duration_seconds") or "0"))
        except ValueError:
            duration = -1
        if started_at is None or duration < 0:
            problems.append(_("第 %(line)d 行：时间或时长格式不对") % {"line": line})
            continue
        rep = reps.get(cell("rep").lower()) if cell("rep") else None
        try:
            outcome = call_log_record(
                caller=cell("caller"), callee=cell("callee"), started_at=started_at, duration_seconds=duration, rep=rep, by=by,
                now=now, direction=cell("direction"),
            )
        except DomainError as exc:
            problems.append(_("第 %(line)d 行：%(error)s") % {"line": line, "error": exc.message})
            continue
        label = str(CALL_OUTCOMES.get(outcome.outcome, outcome.outcome))
        summary[label] = summary.get(label, 0) + 1
    return summary, problems[:100]
