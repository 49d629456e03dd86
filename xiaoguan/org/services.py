"""Writes on people: the first admin, invitations, password resets, API tokens, handover when someone leaves."""

from __future__ import annotations

import copy
import hashlib
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import cycle

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Task
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.core.models import HistoryEntry
from xiaoguan.customers.models import Account
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import ApiToken, Role, Team, User

ADMIN_ROLES = frozenset({Role.ADMIN.value})


def _require_admin(by: User) -> None:
    if not (by.is_active and (by.role in ADMIN_ROLES or by.is_superuser)):
        raise NotAllowedError()


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailedError(field_errors={"password": list(exc.messages)}) from exc


@transaction.atomic
def admin_create(*, email: str, password: str, name: str = "") -> User:
    """The first administrator (`xiaoguan createadmin`)."""
    email = User.objects.normalize_email(email.strip())
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidStateError(_("该邮箱已被使用"))
    _check_password(password)
    team = Team.objects.filter(parent__isnull=True).order_by("pk").first()
    return User.objects.create_superuser(email, password, name=name or email.split("@")[0], team=team)


def password_link(*, user: User) -> str:
    """A signed, expiring link where the user sets a password (invitation and reset share it)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.XIAOGUAN_BASE_URL.rstrip('/')}/auth/set-password/{uid}/{token}/"


def _mail_password_link(*, user: User, email: str, subject: str, intro: str) -> None:
    link = password_link(user=user)
    body = _("%(name)s，您好：\n\n%(intro)s\n\n%(link)s\n\n链接 3 天内有效。如非本人操作，请忽略此邮件。\n\n— 销管 xiaoguan") % {
        "name": user.name, "intro": intro, "link": link,
    }
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False))


@transaction.atomic
def user_invite(
    *, by: User, now: datetime, email: str, name: str = "", role: str = Role.REP, team: Team | None = None, manager: User | None = None
) -> User:
    """Invite someone by e-mail. An imported user with that e-mail is invited as they are."""
    _require_admin(by)
    email = User.objects.normalize_email(email.strip())
    if not email:
        raise ValidationFailedError(field_errors={"email": [_("请填写邮箱")]})
    if role not in Role.values:
        raise ValidationFailedError(field_errors={"role": [_("角色无效")]})
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        if not name.strip():
            raise ValidationFailedError(field_errors={"name": [_("请填写姓名")]})
        user = User(email=email, name=name.strip(), role=role, team=team, manager=manager)
        user.set_unusable_password()
        user.full_clean(exclude=["password", "external_id"])
        user.save()
    elif user.has_usable_password():
        raise InvalidStateError(_("该用户已设置密码，可让其使用“忘记密码”"))
    # The stored address of a matched imported user, else the one just typed (the same but for letter case).
    _mail_password_link(user=user, email=user.email or email, subject=_("邀请您加入销管"), intro=_("您被邀请使用销管。请点击下面的链接设置密码："))
    return user


def user_password_reset_request(*, email: str) -> None:
    """Mail a reset link when the e-mail belongs to an active user; say nothing either way (no account probing)."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is not None and user.email:
        with transaction.atomic():
            _mail_password_link(user=user, email=user.email, subject=_("重置销管密码"), intro=_("请点击下面的链接重新设置密码："))


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new API token. The key is returned once; only its hash is kept."""
    key = f"xg_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name.strip()[:100] or "API", key_hash=_token_hash(key), prefix=key[:8], created_at=now)
    return token, key


# Every API request authenticates: a per-process copy of (token, user) keyed by the key's hash, kept for a short while.
# Revocation and deactivation still count at once: each request asks the database, in one plain indexed statement
# without the ORM, whether the token is live and its user active. Other changes to the user (a new role) saved in
# this process drop the copy (signals below); another process sees them within TOKEN_CACHE_SECONDS.
TOKEN_CACHE_SECONDS = 30.0
TOKEN_CACHE_MAX = 1000
_token_cache: dict[str, tuple[float, int, User, datetime | None]] = {}


def api_token_cache_clear(**_kwargs: object) -> None:
    _token_cache.clear()


def _user_copy(user: User) -> User:
    # Each request gets its own instance: nothing one request sets on it (cached relations included) reaches another.
    fresh = copy.copy(user)
    fresh._state = copy.copy(user._state)
    fresh._state.fields_cache = {}
    return fresh


def _token_live(token_pk: int) -> bool:
    token_table, user_table = ApiToken._meta.db_table, User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT 1 FROM "{token_table}" t JOIN "{user_table}" u ON u.id = t.user_id '  # noqa: S608 - table names from the models
            "WHERE t.id = %s AND t.revoked_at IS NULL AND u.is_active",
            [token_pk],
        )
        return cursor.fetchone() is not None


def api_token_user(*, key: str, now: datetime) -> User | None:
    """The active user a bearer key belongs to, or None."""
    key_hash = _token_hash(key)
    cached = _token_cache.get(key_hash)
    if cached is not None and time.monotonic() - cached[0] < TOKEN_CACHE_SECONDS:
        loaded_at, token_pk, user, last_used_at = cached
        if not _token_live(token_pk):
            _token_cache.pop(key_hash, None)
            return None
    else:
        loaded_at = time.monotonic()
        token = ApiToken.objects.select_related("user").filter(key_hash=key_hash, revoked_at__isnull=True).first()
        if token is None or not token.user.is_active:
            _token_cache.pop(key_hash, None)
            return None
        token_pk, user, last_used_at = token.pk, token.user, token.last_used_at
        if len(_token_cache) >= TOKEN_CACHE_MAX:
            _token_cache.clear()
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token_pk).update(last_used_at=now)
        last_used_at = now
    _token_cache[key_hash] = (loaded_at, token_pk, user, last_used_at)
    return _user_copy(user)


post_save.connect(api_token_cache_clear, sender=ApiToken, dispatch_uid="org.api_token_cache.token_saved")
post_delete.connect(api_token_cache_clear, sender=ApiToken, dispatch_uid="org.api_token_cache.token_deleted")
post_save.connect(api_token_cache_clear, sender=User, dispatch_uid="org.api_token_cache.user_saved")
post_delete.connect(api_token_cache_clear, sender=User, dispatch_uid="org.api_token_cache.user_deleted")


@dataclass
class HandoverResult:
    accounts: int = 0
    opportunities: int = 0
    leads: int = 0
    tasks: int = 0
    by_receiver: Counter[str] = field(default_factory=Counter)


@transaction.atomic
def owner_handover(*, from_user: User, to_users: list[User], by: User, now: datetime, deactivate: bool = False) -> HandoverResult:
    """Give everything a leaving rep owns to others, spread evenly; a deal follows its account.

    Every moved record gets a history entry, so the account page shows who had it before.
    """
    _require_admin(by)
    receivers = [u for u in to_users if u.pk != from_user.pk]
    if not receivers:
        raise ValidationFailedError(field_errors={"to_users": [_("请至少选择一位接收人")]})
    if any(not u.is_active for u in receivers):
        raise ValidationFailedError(field_errors={"to_users": [_("接收人必须在职")]})
    result = HandoverResult()
    history: list[HistoryEntry] = []
    new_owner_of_account: dict[int, User] = {}
    turn = cycle(receivers)

    def moved(model: type[Model], pk: int, receiver: User) -> None:
        history.append(HistoryEntry(
            content_type=ContentType.objects.get_for_model(model), object_id=pk, actor=by, at=now,
            action=HistoryEntry.Action.HANDOVER, changes={"owner": [str(from_user), str(receiver)]},
        ))
        result.by_receiver[str(receiver)] += 1

    for account_id in Account.objects.filter(owner=from_user).order_by("pk").values_list("pk", flat=True):
        receiver = next(turn)
        new_owner_of_account[account_id] = receiver
        moved(Account, account_id, receiver)
        result.accounts += 1
    for receiver in receivers:
        Account.objects.filter(pk__in=[a for a, r in new_owner_of_account.items() if r.pk == receiver.pk]).update(owner=receiver, updated_at=now)

    opp_moves: dict[int, list[int]] = {}
    for opp_id, account_id in Opportunity.objects.filter(owner=from_user).order_by("pk").values_list("pk", "account_id"):
        receiver = new_owner_of_account.get(account_id) or next(turn)
        opp_moves.setdefault(receiver.pk, []).append(opp_id)
        moved(Opportunity, opp_id, receiver)
        result.opportunities += 1
    for receiver in receivers:
        Opportunity.objects.filter(pk__in=opp_moves.get(receiver.pk, [])).update(owner=receiver, updated_at=now)

    lead_moves: dict[int, list[int]] = {}
    for lead_id in Lead.objects.filter(owner=from_user).order_by("pk").values_list("pk", flat=True):
        receiver = next(turn)
        lead_moves.setdefault(receiver.pk, []).append(lead_id)
        moved(Lead, lead_id, receiver)
        result.leads += 1
    for receiver in receivers:
        Lead.objects.filter(pk__in=lead_moves.get(receiver.pk, [])).update(owner=receiver, updated_at=now)

    # Open to-dos follow the record they are about; done ones stay as the leaver's history.
    for task in Task.objects.filter(owner=from_user, done_at__isnull=True):
        receiver = new_owner_of_account.get(task.account_id or 0) or receivers[0]
        task.owner = receiver
        task.save(update_fields=["owner"])
        result.tasks += 1

    HistoryEntry.objects.bulk_create(history, batch_size=1000)
    if deactivate:
        from_user.is_active = False
        from_user.save(update_fields=["is_active"])
        for user in User.objects.filter(manager=from_user):
            user.manager = from_user.manager
            user.save(update_fields=["manager"])
    return result
