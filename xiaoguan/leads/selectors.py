"""Reads of leads, always through the visibility rule."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xiaoguan.leads.models import Lead
from xiaoguan.org.models import User
from xiaoguan.org.visibility import assigned_scope, owner_scope, scope_any, scope_apply


def lead_list_visible_to(*, user: User) -> QuerySet[Lead]:
    leads = Lead.objects.select_related("owner", "region")
    return scope_apply(leads, scope_any(owner_scope(user=user), assigned_scope(user=user, model=Lead)))


def lead_search(*, user: User, query: str = "", status: str = "", source: str = "") -> QuerySet[Lead]:
    leads = lead_list_visible_to(user=user)
    if status:
        leads = leads.filter(status=status)
    if source:
        leads = leads.filter(source=source)
    query = query.strip()
    if query:
        leads = leads.filter(Q(name__icontains=query) | Q(company__icontains=query) | Q(phone=query) | Q(external_id=query))
    return leads.order_by("-created_at", "-pk")
