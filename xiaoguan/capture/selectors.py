"""Reads of capture: the dedupe lookups of the hot path (one indexed query each) and the admin lists."""

from __future__ import annotations

from django.core import signing
from django.db.models import Q, QuerySet

from xiaoguan.capture.models import FORM_TOKEN_SALT, CaptureChannel, LeadCapture, WebForm
from xiaoguan.customers.models import Account, Contact
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import User

# Each key lookup repeats its partial index's condition (`~Q(phone_key="")`): SQLite uses a partial index only when the
# query states the index's WHERE term itself, and `phone_key = ?` with a bound parameter does not prove it (a full
# scan of the table otherwise: 295 ms at 1M leads). PostgreSQL does not need it and does not mind.


def lead_open_by_keys(*, phone_key: str, email_key: str) -> Lead | None:
    """The newest open lead with the same phone or e-mail key (partial indexes lead_phone_key / lead_email_key)."""
    match = Q()
    if phone_key:
        match |= Q(phone_key=phone_key) & ~Q(phone_key="")
    if email_key:
        match |= Q(email_key=email_key) & ~Q(email_key="")
    if not match:
        return None
    return (
        Lead.objects.filter(match).exclude(status__in=Lead.CLOSED_STATUSES).select_related("owner").order_by("-created_at", "-pk").first()
    )


def lead_open_by_sender(*, source: str, sender_id: str) -> Lead | None:
    """The open lead an earlier message of the same WeCom/DingTalk sender made (index capture_sender)."""
    if not sender_id:
        return None
    lead_ids = (
        LeadCapture.objects.filter(source=source, sender_id=sender_id, lead__isnull=False).exclude(sender_id="")
        .order_by("-received_at")
        .values_list("lead_id", flat=True)[:5]
    )
    return Lead.objects.filter(pk__in=list(lead_ids)).exclude(status__in=Lead.CLOSED_STATUSES).select_related("owner").order_by("-created_at").first()


def account_by_company_key(*, company_key: str) -> Account | None:
    if not company_key:
        return None
    return Account.objects.filter(name_key=company_key).exclude(name_key="").select_related("owner").order_by("pk").first()


def account_by_contact_phone(*, phone_key: str) -> Account | None:
    if not phone_key:
        return None
    contact = Contact.objects.filter(phone_key=phone_key).exclude(phone_key="").select_related("account__owner").order_by("pk").first()
    return contact.account if contact else None


def capture_by_idempotency_key(*, user: User, key: str) -> LeadCapture | None:
    """The earlier arrival under this caller's Idempotency-Key (partial unique index capture_idempotency)."""
    if not key:
        return None
    return LeadCapture.objects.filter(user=user, idempotency_key=key).exclude(idempotency_key="").first()


def web_form_by_token(*, token: str) -> WebForm | None:
    """The enabled form a public token names, or None for a forged, retired or disabled one."""
    try:
        value = signing.Signer(salt=FORM_TOKEN_SALT).unsign(token)
    except signing.BadSignature:
        return None
    pk, _, nonce = value.partition(".")
    if not pk.isdigit():
        return None
    form = WebForm.objects.select_related("team").filter(pk=int(pk), enabled=True).first()
    return form if form is not None and form.nonce == nonce else None


def channel_by_key(*, kind: str, key: str) -> CaptureChannel | None:
    return CaptureChannel.objects.select_related("team").filter(kind=kind, url_key=key, enabled=True).first()


def web_form_list() -> QuerySet[WebForm]:
    return WebForm.objects.order_by("-enabled", "name", "pk")


def channel_list() -> QuerySet[CaptureChannel]:
    return CaptureChannel.objects.order_by("kind", "name", "pk")


def capture_list_recent(*, limit: int = 50) -> QuerySet[LeadCapture]:
    return LeadCapture.objects.select_related("lead", "web_form", "channel").order_by("-received_at", "-pk")[:limit]


def capture_list_for_lead(*, lead: Lead) -> QuerySet[LeadCapture]:
    return LeadCapture.objects.filter(lead=lead).order_by("-received_at", "-pk")
