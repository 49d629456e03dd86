"""Reads of capture: the dedupe lookups of the hot path (one indexed query each) and the admin lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import QuerySet

from xiaoguan.capture.models import FORM_TOKEN_SALT, CaptureChannel, LeadCapture, WebForm
from xiaoguan.customers.models import Account, Contact
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import User

# Each key lookup repeats its partial index's condition (`~Q(phone_key="")`): SQLite uses a partial index only when the
# query states the index's WHERE term itself, and `phone_key = ?` with a bound parameter does not prove it (a full
# scan of the table otherwise: 295 ms at 1M leads). PostgreSQL does not need it and does not mind.


def _one(sql: str, params: Sequence[Any]) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


# The hot path's lookups are plain SQL written once: each runs for every captured lead, and building the same ORM
# query each time cost more than the database's answer (measured in bench/leads.py's profile: ~1 ms of Python per
# lookup against ~0.1 ms of SQL). Each repeats its partial index's condition (see above) exactly as the migration
# wrote it, `NOT (x = '')`: SQLite does not take `x <> ''` as the same term and scans the table.
_OPEN_LEAD_SQL = ""
_MATCHES_SQL = ""
_IDEMPOTENCY_SQL = ""


def _open_lead_sql() -> str:
    global _OPEN_LEAD_SQL
    if not _OPEN_LEAD_SQL:
        lead = Lead._meta.db_table
        open_only = f"status NOT IN ({', '.join(repr(str(s)) for s in Lead.CLOSED_STATUSES)})"
        _OPEN_LEAD_SQL = (
            f"SELECT id FROM (SELECT id, created_at FROM {lead} WHERE phone_key = %s AND NOT (phone_key = '') AND {open_only}"  # noqa: S608
            f" UNION ALL SELECT id, created_at FROM {lead} WHERE email_key = %s AND NOT (email_key = '') AND {open_only}) AS found"
            " ORDER BY created_at DESC, id DESC LIMIT 1"
        )
    return _OPEN_LEAD_SQL


def lead_open_by_keys(*, phone_key: str, email_key: str) -> Lead | None:
    """The newest open lead with the same phone or e-mail key (partial indexes lead_phone_key / lead_email_key)."""
    if not (phone_key or email_key):
        return None
    lead_id = _one(_open_lead_sql(), [phone_key, email_key])
    return Lead.objects.select_related("owner").filter(pk=lead_id).first() if lead_id is not None else None


@dataclass(frozen=True)
class CaptureMatches:
    """What an arrival's keys point at: an open lead to merge into, else an account to link to (by company, else by a
    contact's phone). Ids only; the records are read when there is one."""

    lead_id: int | None
    account_id: int | None

    def lead(self) -> Lead | None:
        return Lead.objects.select_related("owner", "account").filter(pk=self.lead_id).first() if self.lead_id is not None else None

    def account(self) -> Account | None:
        return Account.objects.select_related("owner").filter(pk=self.account_id).first() if self.account_id is not None else None


def capture_matches(*, phone_key: str, email_key: str, company_key: str) -> CaptureMatches:
    """The dedupe lookups of one arrival in one statement (`lead_open_by_keys`, `account_by_company_key`,
    `account_by_contact_phone`)."""
    global _MATCHES_SQL
    if not _MATCHES_SQL:
        account, contact = Account._meta.db_table, Contact._meta.db_table
        _MATCHES_SQL = (
            f"SELECT ({_open_lead_sql()}),"  # noqa: S608 — names from the models
            f" (SELECT id FROM {account} WHERE name_key = %s AND NOT (name_key = '') ORDER BY id LIMIT 1),"
            f" (SELECT account_id FROM {contact} WHERE phone_key = %s AND NOT (phone_key = '') ORDER BY id LIMIT 1)"
        )
    with connection.cursor() as cursor:
        cursor.execute(_MATCHES_SQL, [phone_key, email_key, company_key, phone_key])
        lead_id, by_company, by_phone = cursor.fetchone()
    return CaptureMatches(lead_id=lead_id, account_id=by_company if by_company is not None else by_phone)


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
    global _IDEMPOTENCY_SQL
    if not key:
        return None
    if not _IDEMPOTENCY_SQL:
        _IDEMPOTENCY_SQL = (
            f"SELECT id FROM {LeadCapture._meta.db_table} WHERE user_id = %s AND idempotency_key = %s"  # noqa: S608
            " AND NOT (idempotency_key = '') LIMIT 1"
        )
    capture_id = _one(_IDEMPOTENCY_SQL, [user.pk, key])
    return LeadCapture.objects.filter(pk=capture_id).first() if capture_id is not None else None


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
