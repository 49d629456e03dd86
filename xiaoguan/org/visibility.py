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

SEE_ALL_ROLES = frozenset({Role.DIRECTOR.value, Role.ADMIN.value})
ASSIGNMENT_ROLES = frozenset({Role.LEGAL.value, Role.COMPLIANCE.value, Role.ENGINEER.value})
NOTHING = Q(pk__in=[])

# A scope is a filter, or EVERYTHING for no restriction. (An empty Q() would vanish when OR-ed with another.)
type Scope = Q | None
EVERYTHING: Scope = None


def scope_any(*scopes: Scope) -> Scope:
    """Rows in any of the scopes."""
    if any(scope is EVERYTHING for scope in scopes):
        return EVERYTHING
    combined = NOTHING
    for scope in scopes:
        combined |= scope  # type: ignore[operator]
    return combined


def scope_apply[M: models.Model](queryset: models.QuerySet[M], scope: Scope) -> models.QuerySet[M]:
    return queryset if scope is EVERYTHING else queryset.filter(scope)


def owner_scope(*, user: User, owner_field: str = "owner") -> Scope:
    """Rows whose `owner_field` (a user FK path) the user may see as the owner's line manager or self."""
    if not user.is_active:
        return NOTHING
    if user.role in SEE_ALL_ROLES:
        return EVERYTHING
    if user.role == Role.MANAGER:
        if user.team is None or not user.team.path:
            return Q(**{owner_field: user})
        # A subquery of the subtree's people (tens of rows) lets the database use the owner index on big tables.
        people = User.objects.filter(Q(team__path__startswith=user.team.path) | Q(pk=user.pk)).values("pk")
        return Q(**{f"{owner_field}__in": people})
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
        return bool(user.team and user.team.path and owner.team and owner.team.path.startswith(user.team.path))
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
