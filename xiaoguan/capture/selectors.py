"""Reads of capture: the dedupe lookups of the hot path (one indexed query each) and the admin lists."""

from __future__ import annotations

from dataclasses import dataclass

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


# The hot path's lookups are plain SQL written once: each runs for every captured lead, and building the same ORM
# query each time cost more than the database's answer (measured in bench/leads.py's profile: ~1 ms of Python per
# lookup against ~0.1 ms of SQL). Each repeats its partial index's condition (see above) exactly as the migration
# wrote it, `NOT (x = '')`: SQLite does not take `x <> ''` as the same term and scans the table.
_OPEN_ONLY = f"status NOT IN ({', '.join(repr(str(s)) for s in Lead.CLOSED_STATUSES)})"
_MATCHES_SQL = (
    f"SELECT (SELECT id FROM (SELECT id, created_at FROM {Lead._meta.db_table}"  # noqa: S608 — names from the models
    f" WHERE phone_key = %s AND NOT (phone_key = '') AND {_OPEN_ONLY}"
    f" UNION ALL SELECT id, created_at FROM {Lead._meta.db_table} WHERE email_key = %s AND NOT (email_key = '') AND {_OPEN_ONLY})"
    " AS found ORDER BY created_at DESC, id DESC LIMIT 1),"
    f" (SELECT id FROM {Account._meta.db_table} WHERE name_key = %s AND NOT (name_key = '') ORDER BY id LIMIT 1),"
    f" (SELECT account_id FROM {Contact._meta.db_table} WHERE phone_key = %s AND NOT (phone_key = '') ORDER BY id LIMIT 1)"
)
_IDEMPOTENCY_SQL = (
    f"SELECT id FROM {LeadCapture._meta.db_table} WHERE user_id = %s AND idempotency_key = %s"  # noqa: S608
    " AND NOT (idempotency_key = '') LIMIT 1"
)


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


def capture_matches(*, phone_key: str, email_key: str = "", company_key: str = "") -> CaptureMatches:
    """The dedupe lookups of one arrival, in one statement: the newest open lead with the same phone or e-mail key
    (partial indexes lead_phone_key / lead_email_key), the first account with the same company key, the account of the
    first contact with the same phone key."""
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


def capture_by_idempotency_key(*, user: User, key: str) -> LeadCapture | None:
    """The earlier arrival under this caller's Idempotency-Key (partial unique index capture_idempotency)."""
    if not key:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_IDEMPOTENCY_SQL, [user.pk, key])
        row = cursor.fetchone()
    return LeadCapture.objects.filter(pk=row[0]).first() if row else None


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
