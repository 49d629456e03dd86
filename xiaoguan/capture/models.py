"""Where leads come from: web forms, WeCom/DingTalk callback channels, and one row per arrival (LeadCapture)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.leads.models import Lead

# The signer's salt: a web form's public token cannot be made from another signed value of the project.
FORM_TOKEN_SALT = "xiaoguan.capture.webform"  # noqa: S105 - a namespace, not a secret

# The fields a web form may show, in the order they appear.
FORM_FIELDS: dict[str, Any] = {
    "name": _("姓名"),
    "company": _("公司"),
    "phone": _("手机"),
    "email": _("邮箱"),
    "city": _("城市"),
    "industry": _("行业"),
    "company_size": _("公司规模"),
    "budget": _("预算"),
    "message": _("留言"),
}
FORM_FIELDS_DEFAULT = ["name", "company", "phone", "message"]


def form_nonce_new() -> str:
    return secrets.token_urlsafe(8)


def _url_key() -> str:
    return secrets.token_urlsafe(24)


class WebForm(models.Model):
    """A lead form on the company's website: a page of its own (/f/<token>/) or a `<script>` snippet in any page."""

    name = models.CharField(_("名称"), max_length=100)
    title = models.CharField(_("表单标题"), max_length=100, blank=True)
    intro = models.CharField(_("说明文字"), max_length=500, blank=True)
    fields = models.JSONField(_("显示字段"), default=list)
    thank_you_url = models.URLField(_("提交后跳转"), max_length=500, blank=True)
    source = models.CharField(_("线索来源"), max_length=16, choices=Lead.Source.choices, default=Lead.Source.WEB_FORM)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("默认大区"))
    enabled = models.BooleanField(_("启用"), default=True)
    # Part of the signed token: changing it (a "new link") retires every copy of the old snippet.
    nonce = models.CharField(max_length=16, default=form_nonce_new, editable=False)
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("网页表单")
        verbose_name_plural = _("网页表单")

    def __str__(self) -> str:
        return self.name

    @property
    def token(self) -> str:
        """The public, signed id of the form: no one can make a valid one for a form number they guessed."""
        return signing.Signer(salt=FORM_TOKEN_SALT).sign(f"{self.pk}.{self.nonce}")

    @property
    def shown_fields(self) -> list[str]:
        return [f for f in (self.fields or FORM_FIELDS_DEFAULT) if f in FORM_FIELDS]


class CaptureChannel(models.Model):
    """A WeCom (企业微信) or DingTalk (钉钉) callback: the platform posts signed, encrypted messages to /hooks/<kind>/<key>/."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("企业微信")
        DINGTALK = "dingtalk", _("钉钉")

    kind = models.CharField(_("平台"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    # Unguessable part of the callback URL; the platform's own signature is the real check.
    url_key = models.CharField(max_length=64, unique=True, default=_url_key, editable=False)
    token = models.CharField(_("Token"), max_length=64)
    encoding_aes_key = models.CharField(_("EncodingAESKey"), max_length=43)
    # WeCom: the corp id (CorpID); DingTalk: the app key of an internal app's event subscription, or the corp id.
    receive_id = models.CharField(_("CorpID / AppKey"), max_length=64)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("默认大区"))
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("回调渠道")
        verbose_name_plural = _("回调渠道")

    def __str__(self) -> str:
        return self.name


class LeadCapture(models.Model):
    """One arrival on one channel, kept as it came (raw payload), with what dedupe made of it."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("新线索")
        MERGED = "merged", _("并入已有线索")
        LINKED = "linked", _("关联已有客户")
        ACTIVITY = "activity", _("记为跟进")
        REJECTED = "rejected", _("未采用")

    source = models.CharField(_("来源"), max_length=16, choices=Lead.Source.choices)
    web_form = models.ForeignKey(WebForm, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("网页表单"))
    channel = models.ForeignKey(CaptureChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("回调渠道"))
    raw = models.JSONField(_("原始数据"), default=dict, blank=True)
    message = models.TextField(_("留言"), blank=True)
    received_at = models.DateTimeField(_("收到时间"))
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    # WeCom external user id / DingTalk sender: later messages of the same person attach to the same lead.
    sender_id = models.CharField(_("发送者"), max_length=128, blank=True)
    # The API's Idempotency-Key, unique per calling user; the first answer is kept and given again.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    idempotency_key = models.CharField(max_length=200, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="captures", verbose_name=_("线索"), db_index=False)
    account = models.ForeignKey("customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("客户"))

    class Meta:
        verbose_name = _("线索采集记录")
        verbose_name_plural = _("线索采集记录")
        indexes = [
            models.Index(fields=["lead", "-received_at"], name="capture_lead"),
            models.Index(fields=["-received_at"], name="capture_received"),
            models.Index(fields=["source", "sender_id", "-received_at"], name="capture_sender", condition=~models.Q(sender_id="")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="capture_idempotency", condition=~models.Q(idempotency_key="")),
        ]

    def __str__(self) -> str:
        return f"{self.source} @ {self.received_at:%Y-%m-%d %H:%M} → {self.outcome}"
