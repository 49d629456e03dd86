from __future__ import annotations

from django.db.models import QuerySet

from xiaoguan.org.models import Role, User
from xiaoguan.org.visibility import owner_scope, scope_apply
from xiaoguan.receivables.models import Invoice


def invoice_list_visible_to(*, user: User) -> QuerySet[Invoice]:
    """Finance sees every invoice; sales people see those of accounts they may see."""
    invoices = Invoice.objects.select_related("account", "opportunity")
    if user.role == Role.FINANCE and user.is_active:
        return invoices
    return scope_apply(invoices, owner_scope(user=user, owner_field="account__owner"))
