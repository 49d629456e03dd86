"""Reads of accounts and contacts, always through the visibility rule."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xiaoguan.customers.models import Account, Contact
from xiaoguan.org.models import Role, User
from xiaoguan.org.visibility import assigned_scope, owner_scope, scope_any, scope_apply


def account_list_visible_to(*, user: User) -> QuerySet[Account]:
    accounts = Account.objects.select_related("owner", "region")
    if user.role == Role.FINANCE and user.is_active:
        return accounts
    return scope_apply(accounts, scope_any(owner_scope(user=user), assigned_scope(user=user, model=Account)))


def account_search(*, user: User, query: str) -> QuerySet[Account]:
    query = query.strip()
    accounts = account_list_visible_to(user=user)
    if not query:
        return accounts
    return accounts.filter(Q(name__icontains=query) | Q(external_id=query) | Q(city__icontains=query))


def contact_list_visible_to(*, user: User) -> QuerySet[Contact]:
    return Contact.objects.select_related("account").filter(account__in=account_list_visible_to(user=user).values("pk"))
