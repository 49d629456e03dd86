"""The one visibility rule. Every `<entity>_list_visible_to` selector builds on these two functions.

- rep: own records
- manager: records owned by anyone in their team subtree
- director, admin: everything
- finance: accounts and invoices (read-only), nothing else by ownership
- legal, compliance, engineer: only records assigned to them (org.Assignment)
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from xiaoguan.org.models import Assignment, Role, User

SEE_ALL_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN})
ASSIGNMENT_ROLES = frozenset({Role.LEGAL, Role.COMPLIANCE, Role.ENGINEER})
NOTHING = Q(pk__in=[])


def owner_scope(*, user: User, owner_field: str = "owner") -> Q:
    """Rows whose `owner_field` (a user FK path) the user may see as the owner's line manager or self."""
    if not user.is_active:
        return NOTHING
    if user.role in SEE_ALL_ROLES:
        return Q()
    if user.role == Role.MANAGER:
        if user.team_id is None:
            return Q(**{owner_field: user})
        return Q(**{f"{owner_field}__team__path__startswith": user.team.path}) | Q(**{owner_field: user})  # type: ignore[union-attr]
    if user.role == Role.REP:
        return Q(**{owner_field: user})
    return NOTHING


def assigned_scope(*, user: User, model: type[models.Model]) -> Q:
    """Rows of `model` assigned to the user; only the roles that work by assignment get any."""
    if user.role not in ASSIGNMENT_ROLES:
        return NOTHING
    ids = Assignment.objects.filter(user=user, content_type=ContentType.objects.get_for_model(model)).values("object_id")
    return Q(pk__in=ids)


def can_change(*, user: User, owner: User | None) -> bool:
    """Whether the user may change a record owned by `owner` (finance and assignees only read)."""
    if not user.is_active:
        return False
    if user.role in SEE_ALL_ROLES:
        return True
    if owner is None:
        return False
    if user.role == Role.REP:
        return owner.pk == user.pk
    if user.role == Role.MANAGER:
        if owner.pk == user.pk:
            return True
        return bool(user.team and owner.team and owner.team.path.startswith(user.team.path))
    return False


def phone_mask(phone: str) -> str:
    """138****1234: what a viewer who does not own the record sees (PIPL)."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def phone_for(*, user: User, owner_id: int | None, phone: str) -> str:
    """The phone number as this viewer may read it."""
    if not phone or owner_id == user.pk:
        return phone
    return phone_mask(phone)
