"""Reads of documents: a document is visible with the deal or the account it belongs to."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xiaoguan.customers.selectors import account_list_visible_to
from xiaoguan.documents.models import Document
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.org.models import User


def documents_visible_to(*, user: User) -> QuerySet[Document]:
    """A deal's documents with the deal, an account's with the account; loose files only to their uploader."""
    deals = opportunity_list_visible_to(user=user).values("pk")
    accounts = account_list_visible_to(user=user).values("pk")
    return Document.objects.select_related("uploaded_by").filter(
        Q(opportunity__in=deals)
        | Q(opportunity__isnull=True, account__in=accounts)
        | Q(opportunity__isnull=True, account__isnull=True, uploaded_by=user)
    )


def document_list_for_opportunity(*, user: User, opportunity_id: int) -> QuerySet[Document]:
    return documents_visible_to(user=user).filter(opportunity_id=opportunity_id).order_by("-uploaded_at", "-pk")
