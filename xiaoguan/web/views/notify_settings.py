"""通知设置: the admin's group-bot webhooks and delivery log; everyone's own channel preferences."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from xiaoguan.automation.channels import DeliveryFailed
from xiaoguan.automation.channels.config import setting
from xiaoguan.automation.delivery import (
    bot_webhook_enable,
    bot_webhook_save,
    bot_webhook_test,
    bot_webhooks_list,
    deliveries_log,
    delivery_retry,
    notification_preferences_set,
)
from xiaoguan.automation.models import BotWebhook, Delivery, NotificationPreference
from xiaoguan.automation.registry import NOTIFICATION_KINDS
from xiaoguan.core.clock import clock_now
from xiaoguan.org.models import Team
from xiaoguan.web.views.common import AuthedRequest, forbidden, is_admin, page_number, page_window, querystring_without_page

PERSONAL_CHANNELS = (Delivery.Channel.EMAIL, Delivery.Channel.WECOM_NOTICE, Delivery.Channel.DINGTALK_NOTICE)


def _kind_choices() -> list[tuple[str, str]]:
    return [(code, str(kind.label)) for code, kind in sorted(NOTIFICATION_KINDS.items())]


class BotWebhookForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=BotWebhook.Kind.choices)
    url = forms.URLField(
        label=gettext_lazy("Webhook 地址"), max_length=500, assume_scheme="https",
        help_text=gettext_lazy("在群设置 → 群机器人 → 添加机器人中复制的完整地址。"),
    )
    secret = forms.CharField(
        label=gettext_lazy("签名密钥"), max_length=200, required=False, widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("钉钉“加签”或飞书“签名校验”的密钥；企业微信不需要。"),
    )
    team = forms.ModelChoiceField(label=gettext_lazy("团队"), queryset=Team.objects.none(), required=False, empty_label=gettext_lazy("全部团队"))
    kinds = forms.MultipleChoiceField(label=gettext_lazy("通知类型"), choices=(), widget=forms.CheckboxSelectMultiple, required=False)
    enabled = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("path")  # type: ignore[attr-defined]
        self.fields["kinds"].choices = _kind_choices()  # type: ignore[attr-defined]
        if editing:
            self.fields["secret"].help_text = _("留空则保留已保存的密钥。")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == BotWebhook.Kind.WECOM and data.get("secret"):
            self.add_error("secret", _("企业微信群机器人没有签名密钥，请留空。"))
        return data


def _admin_only(request: AuthedRequest) -> HttpResponse | None:
    return None if is_admin(request.user) else forbidden(request)


@login_required
def bot_list(request: AuthedRequest) -> HttpResponse:
    """The group bots, each with its kinds, team and a test button."""
    if refused := _admin_only(request):
        return refused
    labels = dict(_kind_choices())
    bots = [(bot, [labels.get(k, k) for k in bot.kinds]) for bot in bot_webhooks_list()]
    return render(request, "web/notify/bots.html", {"bots": bots})


@login_required
@require_http_methods(["GET", "POST"])
def bot_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """Add a group bot, or change one (the stored secret is never shown back)."""
    if refused := _admin_only(request):
        return refused
    bot = get_object_or_404(BotWebhook, pk=pk) if pk is not None else None
    initial = (
        {"name": bot.name, "kind": bot.kind, "url": bot.url, "team": bot.team_id, "kinds": bot.kinds, "enabled": bot.enabled} if bot else None
    )
    form = BotWebhookForm(request.POST or None, initial=initial, editing=bot is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = bot_webhook_save(
                bot=bot, name=data["name"], kind=data["kind"], url=data["url"], secret=data["secret"], team=data["team"],
                kinds=data["kinds"], enabled=data["enabled"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("群机器人「%(name)s」已保存。") % {"name": saved.name})
            return redirect("web:notify_bots")
    return render(request, "web/notify/bot_form.html", {"form": form, "bot": bot}, status=422 if form.errors else 200)


@login_required
@require_POST
def bot_toggle(request: AuthedRequest, pk: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    bot = get_object_or_404(BotWebhook, pk=pk)
    bot_webhook_enable(bot=bot, enabled=not bot.enabled)
    messages.success(request, (_("「%(name)s」已启用。") if bot.enabled else _("「%(name)s」已停用。")) % {"name": bot.name})
    return redirect("web:notify_bots")


@login_required
@require_POST
def bot_test(request: AuthedRequest, pk: int) -> HttpResponse:
    """Send a test message to the bot's group now and say what the platform answered."""
    if refused := _admin_only(request):
        return refused
    bot = get_object_or_404(BotWebhook, pk=pk)
    try:
        bot_webhook_test(bot=bot, by=request.user, now=clock_now())
    except DeliveryFailed as failure:
        messages.error(request, _("「%(name)s」测试消息发送失败：%(detail)s") % {"name": bot.name, "detail": failure.detail})
    else:
        messages.success(request, _("测试消息已发到「%(name)s」，请到群里查看。") % {"name": bot.name})
    return redirect("web:notify_bots")


@login_required
@require_http_methods(["GET", "POST"])
def notify_preferences(request: AuthedRequest) -> HttpResponse:
    """The person's own choices: which kinds of notification also go to e-mail or a work notice. The bell has all."""
    user = request.user
    kinds = _kind_choices()
    available = {
        Delivery.Channel.EMAIL: bool(user.email),
        Delivery.Channel.WECOM_NOTICE: bool(user.wecom_userid and setting("XIAOGUAN_WECOM_CORP_ID")),
        Delivery.Channel.DINGTALK_NOTICE: bool(user.dingtalk_userid and setting("XIAOGUAN_DINGTALK_APP_KEY")),
    }
    stored = {p.kind: set(p.channels) for p in NotificationPreference.objects.filter(user=user)}
    if request.method == "POST":
        choices = {code: [c for c in request.POST.getlist(f"kind-{code}") if c in PERSONAL_CHANNELS] for code, _label in kinds}
        notification_preferences_set(user=user, choices=choices)
        messages.success(request, _("通知偏好已保存。"))
        return redirect("web:notify_preferences")
    channel_labels = dict(Delivery.Channel.choices)
    rows = []
    for code, label in kinds:
        chosen = stored.get(code, set(NOTIFICATION_KINDS[code].default_channels))
        rows.append({
            "code": code, "label": label,
            "cells": [{"channel": c, "checked": c in chosen, "available": available[c]} for c in PERSONAL_CHANNELS],
        })
    return render(request, "web/notify/preferences.html", {
        "rows": rows, "channels": [(c, channel_labels[c], available[c]) for c in PERSONAL_CHANNELS],
    })


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", gettext_lazy("全部状态")), *Delivery.Status.choices], required=False)
    channel = forms.ChoiceField(choices=[("", gettext_lazy("全部渠道")), *Delivery.Channel.choices], required=False)


def _address_label(delivery: Delivery, bots: dict[int, str]) -> str:
    address = delivery.address or {}
    if "bot_id" in address:
        return bots.get(address["bot_id"], _("（已删除的群机器人）"))
    return str(address.get("to") or address.get("email") or address.get("userid") or "")


@login_required
def delivery_log(request: AuthedRequest) -> HttpResponse:
    """Every delivery, newest first: where it went, how it ended, what the platform said; failed ones can be retried."""
    if refused := _admin_only(request):
        return refused
    form = DeliveryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    window = page_window(deliveries_log(status=filters.get("status", ""), channel=filters.get("channel", "")), number=page_number(request))
    bots = dict(BotWebhook.objects.values_list("pk", "name"))
    rows = [(d, _address_label(d, bots)) for d in window.items]
    return render(request, "web/notify/deliveries.html", {
        "form": form, "window": window, "rows": rows, "query": querystring_without_page(request),
    })


@login_required
@require_POST
def delivery_retry_view(request: AuthedRequest, pk: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    delivery = get_object_or_404(Delivery, pk=pk)
    if delivery.status != Delivery.Status.FAILED:
        messages.error(request, _("只有失败的投递可以重试。"))
    else:
        delivery_retry(delivery=delivery, now=clock_now())
        messages.success(request, _("已重新排队发送。"))
    back = request.POST.get("next", "")
    safe = back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    return redirect(back if safe else "web:notify_deliveries")
