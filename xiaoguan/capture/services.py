"""Writes of capture: every channel calls `capture_lead`, which normalises, deduplicates, creates or merges, routes.

Dedupe, in order (first hit wins):
1. an open lead of the same WeCom/DingTalk sender, or with the same phone key or e-mail key → merged into it
   (blank fields filled, capture_count + 1, its owner told "客户再次留资");
2. an existing account with the same company key, or a contact with the same phone key → a new lead linked to
   that account and given to the account's owner;
3. otherwise a new lead, routed by the routing rules (routing.services.lead_route).

This is the capture benchmark's hot path: a handful of indexed single-row queries, no per-field lookups.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity
from xiaoguan.activities.services import activity_log
from xiaoguan.automation.services import notify
from xiaoguan.capture.crypto import CallbackCryptoError, aes_key
from xiaoguan.capture.models import FORM_FIELDS, CaptureChannel, LeadCapture, WebForm, form_nonce_new
from xiaoguan.capture.selectors import capture_by_idempotency_key, capture_matches, lead_open_by_sender
from xiaoguan.core.bulk import BatchStaleError, WriteBatch, commit_without_disk_wait, row_insert
from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_entry, history_record
from xiaoguan.core.models import HistoryEntry
from xiaoguan.core.normalize import company_key, email_key, phone_key
from xiaoguan.customers.models import Account
from xiaoguan.geo.selectors import region_for_city
from xiaoguan.leads.models import Lead, LeadAssignment
from xiaoguan.leads.policy import lead_link
from xiaoguan.leads.services.assign import assignment_log, lead_assign
from xiaoguan.org.models import Role, Team, User
from xiaoguan.routing.selectors import region_teams_cached
from xiaoguan.routing.services import lead_route, route_plan, route_plan_write

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("name", "company", "phone", "email", "industry", "city", "company_size")
MAX_LENGTHS: dict[str, int] = {name: int(getattr(Lead._meta.get_field(name), "max_length", 0) or 0) for name in TEXT_FIELDS}
MESSAGE_MAX = 5000
# Fields a merge may fill on the existing lead when they are blank there.
MERGE_FILLS = (*TEXT_FIELDS, "budget", "region")


@dataclass(frozen=True)
class CaptureResult:
    outcome: str
    lead: Lead | None
    capture: LeadCapture
    account: Account | None = None

    @property
    def created(self) -> bool:
        return self.outcome in (LeadCapture.Outcome.CREATED, LeadCapture.Outcome.LINKED)


def _text(value: Any, limit: int) -> str:
    # Trimmed and cut to the column (PostgreSQL refuses longer; SQLite would keep 10,000 characters of a name).
    text = "" if value is None else str(value)
    return " ".join(text.split())[:limit] if limit else text.strip()


def _budget(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        budget = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation as exc:
        raise ValidationFailedError(field_errors={"budget": [_("请填写数字")]}) from exc
    if not budget.is_finite() or budget < 0:
        raise ValidationFailedError(field_errors={"budget": [_("预算不能为负数")]})
    if budget >= Decimal(10) ** 12:
        raise ValidationFailedError(field_errors={"budget": [_("数值过大")]})
    return budget.quantize(Decimal("0.01"))


def lead_fields_clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The lead fields of an arrival, trimmed and capped to their columns; a malformed phone is kept as typed."""
    clean: dict[str, Any] = {name: _text(fields.get(name), MAX_LENGTHS[name]) for name in TEXT_FIELDS}
    errors: dict[str, list[str]] = {}
    if clean["email"] and not email_key(clean["email"]):
        errors["email"] = [_("邮箱格式不正确")]
    try:
        clean["budget"] = _budget(fields.get("budget"))
    except ValidationFailedError as exc:
        errors.update(exc.field_errors)
    region = fields.get("region")
    clean["region"] = region if isinstance(region, Team) else None
    if not (clean["name"] or clean["company"] or clean["phone"] or clean["email"]):
        errors.setdefault("name", [_("请至少留下姓名、公司、电话或邮箱中的一项")])
    if errors:
        raise ValidationFailedError(field_errors=errors)
    return clean


def _notify(*, recipient: User | None, kind: str, title: str, body: str, lead: Lead, dedupe_key: str, now: datetime) -> None:
    if recipient is None or not recipient.is_active:
        return
    notify(
        recipient=recipient, kind=kind, title=title[:200], body=body, link=lead_link(lead), subject_kind="lead",
        subject_id=lead.pk, dedupe_key=dedupe_key, now=now,
    )


def _merge(*, lead: Lead, clean: Mapping[str, Any]) -> list[str]:
    """Fill the lead's blank fields from the new arrival; never overwrite what a rep already has."""
    filled = []
    for name in MERGE_FILLS:
        value = clean.get(name)
        if value in (None, "") or getattr(lead, name) not in (None, ""):
            continue
        setattr(lead, name, value)
        filled.append(name)
    return filled


def _region_default(*, clean: Mapping[str, Any], web_form: WebForm | None, channel: CaptureChannel | None, owner: User | None) -> Team | None:
    """The lead's region: the one given, else its own city's, else the web form's or channel's team, else the owner's."""
    region: Team | None = clean.get("region")
    if region is None and clean.get("city"):
        region_id = region_for_city(clean["city"])
        region = region_teams_cached().get(region_id) if region_id is not None else None
    if region is None and web_form is not None:
        region = web_form.team
    if region is None and channel is not None:
        region = channel.team
    if region is None and owner is not None and owner.team_id is not None and owner.team is not None:
        region = owner.team.region()
    return region


Respond = Callable[[CaptureResult], tuple[int, Any]]


def capture_lead(
    *,
    source: str,
    fields: Mapping[str, Any],
    raw: Any,
    now: datetime,
    web_form: WebForm | None = None,
    channel: CaptureChannel | None = None,
    ip: str | None = None,
    sender_id: str = "",
    message: str = "",
    owner: User | None = None,
    by: User | None = None,
    user: User | None = None,
    idempotency_key: str = "",
    request_hash: str = "",
    history_action: str = HistoryEntry.Action.CREATED,
    history_note: str = "",
    respond: Respond | None = None,
) -> CaptureResult:
    """Turn one arrival into a lead: merged into an open one, linked to an existing account, or new and routed.

    `owner` gives a new lead to that person instead of routing it (a rep's own API call or spreadsheet);
    `user` + `idempotency_key` make the arrival unique for that caller (the API's Idempotency-Key); `respond` gives
    the (status, body) the caller answers with, stored on the capture row in the same transaction (the replay of a
    repeated Idempotency-Key).

    The reads (checks, keys, dedupe lookups, the account, the region) come before the write transaction, which then
    holds only inserts and updates: on SQLite a transaction holds the one write lock from its first statement.
    """
    if source not in Lead.Source.values:
        raise ValidationFailedError(field_errors={"source": [_("来源无效")]})
    clean = lead_fields_clean(fields)
    keys = {"phone": phone_key(clean["phone"]), "email": email_key(clean["email"]), "company": company_key(clean["company"])}
    capture = LeadCapture(
        source=source, web_form=web_form, channel=channel, raw=raw if raw is not None else {}, message=(message or "").strip()[:MESSAGE_MAX],
        received_at=now, ip=ip or None, sender_id=sender_id[:128], user=user, idempotency_key=idempotency_key[:200],
        request_hash=request_hash,
    )
    matches = capture_matches(phone_key=keys["phone"], email_key=keys["email"], company_key=keys["company"])
    lead = lead_open_by_sender(source=source, sender_id=sender_id) or matches.lead()
    if lead is not None:
        with transaction.atomic():
            return _capture_merged(lead=lead, clean=clean, capture=capture, now=now, respond=respond)

    account = matches.account()
    lead = Lead(
        created_at=now, source=source, status=Lead.Status.NEW, account=account, capture_count=1,
        **{name: clean[name] for name in (*TEXT_FIELDS, "budget")},
        region=_region_default(clean=clean, web_form=web_form, channel=channel, owner=owner or (account.owner if account else None)),
    )
    # An existing customer's person goes to the customer's owner, whoever entered it; otherwise `owner` (a rep's own
    # lead), otherwise the routing rules.
    account_owner = account.owner if account is not None and account.owner is not None and account.owner.is_active else None
    own = account_owner is None and owner is not None and owner == by
    if own:
        # A lead the person entered themselves (API, spreadsheet): theirs at once, no bell to themselves and no
        # first-contact clock (they typed it in because they are already talking to the customer).
        lead.owner, lead.status, lead.assigned_at = owner, Lead.Status.ASSIGNED, now
    capture.account = account
    capture.outcome = LeadCapture.Outcome.LINKED if account is not None else LeadCapture.Outcome.CREATED
    if account_owner is None and owner is None:
        routed = _capture_routed(lead=lead, capture=capture, now=now, by=by, history_action=history_action,
                                 history_note=history_note or str(Lead.Source(source).label), respond=respond)
        if routed is not None:
            return routed
    # The outermost transaction on the API's path (no savepoint then); nested in a caller's (a call log, a spreadsheet)
    # it is a savepoint, so the idempotency key's IntegrityError leaves the caller's transaction usable.
    with transaction.atomic():
        commit_without_disk_wait()
        row_insert(lead)
        history_record(subject=lead, actor=by, action=history_action, at=now, note=history_note or str(Lead.Source(source).label))
        capture.lead = lead
        if account_owner is not None:
            # lead_assign rings the owner's bell; the reason tells them it is their customer coming back.
            reason = _("老客户新线索：已有客户“%(account)s”的负责人") % {"account": account.name if account else ""}
            lead = lead_assign(lead=lead, rep=account_owner, now=now, by=by, kind=LeadAssignment.Kind.ACCOUNT_OWNER, reason=reason)
        elif own and owner is not None:
            assignment_log(lead=lead, rep=owner, now=now, by=by, kind=LeadAssignment.Kind.MANUAL, reason=_("录入人自己的线索"))
        elif owner is not None:
            lead = lead_assign(lead=lead, rep=owner, now=now, by=by, kind=LeadAssignment.Kind.MANUAL, reason=_("由 %(by)s 录入") % {"by": by or "—"})
        else:
            lead = lead_route(lead=lead, now=now, new=True)
        result = CaptureResult(outcome=capture.outcome, lead=lead, capture=capture, account=account)
        # The capture row last, with its answer: one insert, and the idempotency key's unique index is hit at the end.
        if respond is not None:
            capture.response_status, capture.response_body = respond(result)
        row_insert(capture)
    return result


def _capture_routed(
    *, lead: Lead, capture: LeadCapture, now: datetime, by: User | None, history_action: str, history_note: str, respond: Respond | None
) -> CaptureResult | None:
    """A new lead for the routing rules, the capture benchmark's path: the decision and every row are prepared first,
    then written in one short transaction (`WriteBatch`) whose guards check the decision's reads still hold; a
    request that routed through the same rule in between makes it plan again. None when routing has no rep for it
    (the fallback queue) or the plan went stale three times: the caller takes the general path, deciding under lock.
    """
    for _attempt in range(3):
        plan = route_plan(lead=lead, now=now)
        if plan is None:
            return None
        # Planning gives the lead and fills the capture in memory: each attempt works on its own copies.
        this_lead, this_capture = _model_copy(lead), _model_copy(capture)
        batch = WriteBatch()
        route_plan_write(batch, plan=plan, lead=this_lead, now=now, new=True)
        batch.insert(history_entry(subject=this_lead, actor=by, action=history_action, at=now, note=history_note))
        this_capture.lead = this_lead
        result = CaptureResult(outcome=this_capture.outcome, lead=this_lead, capture=this_capture, account=None)
        if respond is not None:
            this_capture.response_status, this_capture.response_body = respond(result)
        batch.insert(this_capture)
        try:
            batch.run(fast_commit=True)
        except BatchStaleError:
            continue
        return result
    return None


def _model_copy[M: Model](obj: M) -> M:
    fresh = copy.copy(obj)
    fresh._state = copy.copy(obj._state)
    fresh._state.fields_cache = dict(obj._state.fields_cache)
    return fresh


def _capture_merged(*, lead: Lead, clean: Mapping[str, Any], capture: LeadCapture, now: datetime, respond: Respond | None = None) -> CaptureResult:
    filled = _merge(lead=lead, clean=clean)
    lead.capture_count += 1
    lead.save(update_fields=[*filled, "capture_count", "updated_at"])
    capture.lead, capture.account, capture.outcome = lead, lead.account, LeadCapture.Outcome.MERGED
    result = CaptureResult(outcome=capture.outcome, lead=lead, capture=capture, account=lead.account)
    if respond is not None:
        capture.response_status, capture.response_body = respond(result)
    capture.save()
    _notify(
        recipient=lead.owner, kind="lead_recaptured", title=_("客户再次留资：%(lead)s") % {"lead": lead},
        body=_("第 %(n)s 次留资，来源：%(source)s。") % {"n": lead.capture_count, "source": Lead.Source(capture.source).label}
        + (f"\n{capture.message[:200]}" if capture.message else ""),
        lead=lead, dedupe_key=f"capture:{capture.pk}", now=now,
    )
    return result


def capture_rejected(
    *, source: str, raw: Any, now: datetime, reason: str, channel: CaptureChannel | None = None, sender_id: str = "", message: str = ""
) -> LeadCapture:
    """An authentic arrival that made no lead (e.g. a WeCom event we do not act on), kept for the record."""
    return LeadCapture.objects.create(
        source=source, channel=channel, raw=raw, received_at=now, sender_id=sender_id[:128], message=message[:MESSAGE_MAX],
        outcome=LeadCapture.Outcome.REJECTED, reason=reason[:500],
    )


# --- the API's Idempotency-Key --------------------------------------------------------------------------------------


class IdempotencyConflictError(ValidationFailedError):
    """The same Idempotency-Key with another body (IETF draft: 422)."""

    code = "idempotency_key_reused"


def request_fingerprint(body: Any) -> str:
    """The hash of a request body, independent of key order and whitespace."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def capture_replay(*, capture: LeadCapture, request_hash: str) -> tuple[int, Any]:
    """The first answer to a repeated Idempotency-Key; the same key with another body is refused."""
    if capture.request_hash != request_hash:
        message = _("这个 Idempotency-Key 已用于另一个请求体")
        raise IdempotencyConflictError(message, field_errors={"Idempotency-Key": [message]})
    return capture.response_status or 200, capture.response_body


def capture_response_store(*, capture: LeadCapture, status: int, body: Any) -> None:
    capture.response_status, capture.response_body = status, body
    LeadCapture.objects.filter(pk=capture.pk).update(response_status=status, response_body=body)


# --- web forms and callback channels (the admin pages) ----------------------------------------------------------------


def _form_fields_clean(fields: list[str]) -> list[str]:
    chosen = [f for f in FORM_FIELDS if f in set(fields)]
    if not chosen:
        raise ValidationFailedError(field_errors={"fields": [_("请至少选择一个字段")]})
    if not {"phone", "email"} & set(chosen):
        raise ValidationFailedError(field_errors={"fields": [_("手机和邮箱至少显示一项，否则无法联系客户")]})
    return chosen


def _admin_check(by: User) -> None:
    if not (by.is_active and (by.role == Role.ADMIN or by.is_superuser)):
        raise NotAllowedError()


@transaction.atomic
def web_form_save(*, by: User, now: datetime, values: Mapping[str, Any], form: WebForm | None = None) -> WebForm:
    """Create a web form, or change one; its public token stays the same."""
    _admin_check(by)
    form = form or WebForm(created_at=now, created_by=by)
    form.name = _text(values.get("name"), 100)
    if not form.name:
        raise ValidationFailedError(field_errors={"name": [_("请填写名称")]})
    form.title = _text(values.get("title"), 100)
    form.intro = _text(values.get("intro"), 500)
    form.fields = _form_fields_clean(list(values.get("fields") or []))
    form.thank_you_url = (values.get("thank_you_url") or "").strip()
    form.source = values.get("source") or Lead.Source.WEB_FORM
    form.team = values.get("team")
    form.enabled = bool(values.get("enabled", True))
    form.full_clean()
    form.save()
    return form


@transaction.atomic
def web_form_token_rotate(*, form: WebForm, by: User) -> WebForm:
    """A new public token: every copy of the old snippet and link stops working."""
    _admin_check(by)
    form.nonce = form_nonce_new()
    form.save(update_fields=["nonce"])
    return form


@transaction.atomic
def channel_save(*, by: User, now: datetime, values: Mapping[str, Any], channel: CaptureChannel | None = None) -> CaptureChannel:
    _admin_check(by)
    channel = channel or CaptureChannel(created_at=now, kind=values.get("kind") or CaptureChannel.Kind.WECOM)
    errors: dict[str, list[str]] = {}
    channel.name = _text(values.get("name"), 100)
    channel.token = (values.get("token") or "").strip()
    channel.encoding_aes_key = (values.get("encoding_aes_key") or "").strip()
    channel.receive_id = (values.get("receive_id") or "").strip()
    channel.team = values.get("team")
    channel.enabled = bool(values.get("enabled", True))
    try:
        aes_key(channel.encoding_aes_key)
    except CallbackCryptoError:
        errors["encoding_aes_key"] = [_("EncodingAESKey 应为 43 位字符")]
    for name in ("name", "token", "receive_id"):
        if not getattr(channel, name):
            errors[name] = [_("必填")]
    if errors:
        raise ValidationFailedError(field_errors=errors)
    channel.full_clean()
    channel.save()
    return channel


# --- phone call logs ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallOutcome:
    outcome: str  # created / merged / linked / activity / duplicate / ignored
    lead: Lead | None = None
    activity: Activity | None = None
    reason: str = ""


def _direction(*, caller: str, callee: str, rep: User | None, direction: str) -> str:
    given = direction.strip().lower()
    if given in ("in", "inbound", "呼入", "来电"):
        return "in"
    if given in ("out", "outbound", "呼出", "去电"):
        return "out"
    own = phone_key(rep.phone) if rep is not None else ""
    if own and own == phone_key(caller):
        return "out"
    return "in"


def _call_key(*, caller: str, callee: str, started_at: datetime) -> str:
    text = f"{phone_key(caller) or caller.strip()}|{phone_key(callee) or callee.strip()}|{started_at.isoformat()}"
    return "call:" + hashlib.sha256(text.encode()).hexdigest()[:40]


@transaction.atomic
def call_log_record(
    *,
    caller: str,
    callee: str,
    started_at: datetime,
    duration_seconds: int,
    rep: User | None,
    by: User,
    now: datetime,
    direction: str = "",
    raw: Any = None,
) -> CallOutcome:
    """One call from the phone system: an unknown inbound number becomes a lead; a call of a rep with a known
    lead's number that was answered (duration > 0) becomes a call activity on that lead (its first contact).
    The same call twice (caller, callee, start) is recorded once."""
    if duration_seconds < 0:
        raise ValidationFailedError(field_errors={"duration_seconds": [_("不能为负数")]})
    if started_at > now:
        raise ValidationFailedError(field_errors={"started_at": [_("通话时间不能晚于现在")]})
    way = _direction(caller=caller, callee=callee, rep=rep, direction=direction)
    number = (caller if way == "in" else callee).strip()
    if not number:
        return CallOutcome(outcome="ignored", reason=_("没有客户号码"))
    key = _call_key(caller=caller, callee=callee, started_at=started_at)
    recorder = rep or by
    if capture_by_idempotency_key(user=recorder, key=key) is not None:
        return CallOutcome(outcome="duplicate", reason=_("这通电话已记录过"))
    raw = raw if raw is not None else {
        "caller": caller, "callee": callee, "started_at": started_at.isoformat(), "duration_seconds": duration_seconds,
        "rep": rep.external_id if rep else "", "direction": way,
    }
    answered = duration_seconds > 0 and rep is not None
    content = (_("来电 %(seconds)s 秒") if way == "in" else _("去电 %(seconds)s 秒")) % {"seconds": duration_seconds}
    matches = capture_matches(phone_key=phone_key(number))
    lead = matches.lead()
    if lead is not None and answered:
        assert rep is not None  # noqa: S101 - narrowed by `answered`
        try:
            logged = activity_log(
                by=rep, now=now, kind=Activity.Kind.CALL, lead=lead, occurred_at=started_at, content=content, duration_seconds=duration_seconds,
            )
        except NotAllowedError:
            return CallOutcome(outcome="ignored", lead=lead, reason=_("%(rep)s 不是这条线索的负责人") % {"rep": rep})
        LeadCapture.objects.create(
            source=Lead.Source.PHONE, raw=raw, received_at=now, sender_id=phone_key(number), user=recorder, idempotency_key=key,
            outcome=LeadCapture.Outcome.ACTIVITY, lead=lead, account=lead.account, message=content,
        )
        return CallOutcome(outcome="activity", lead=lead, activity=logged)
    if way == "out" and lead is None:
        return CallOutcome(outcome="ignored", reason=_("呼出到未知号码"))
    if way == "out":
        return CallOutcome(outcome="ignored", lead=lead, reason=_("未接通"))
    # Inbound: a known lead that called again (missed) is merged and its owner told; an unknown number is a new
    # lead, the answering rep's own when they talked, otherwise routed.
    result = capture_lead(
        source=Lead.Source.PHONE, fields={"phone": number}, raw=raw, now=now, sender_id="", message=content,
        owner=rep if (answered and lead is None and matches.account_id is None) else None,
        by=by, user=recorder, idempotency_key=key,
    )
    activity: Activity | None = None
    if answered and result.lead is not None and result.outcome != LeadCapture.Outcome.MERGED:
        assert rep is not None  # noqa: S101 - narrowed by `answered`
        try:
            activity = activity_log(
                by=rep, now=now, kind=Activity.Kind.CALL, lead=result.lead, occurred_at=started_at, content=content,
                duration_seconds=duration_seconds,
            )
        except NotAllowedError:
            activity = None
    return CallOutcome(outcome=result.outcome, lead=result.lead, activity=activity)
