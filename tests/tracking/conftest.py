"""A deal with a contact, its rep and their manager, and a small PDF quote stored as a document."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ContactFactory, OpportunityFactory
from xiaoguan.customers.models import Account, Contact
from xiaoguan.documents.models import Document
from xiaoguan.documents.services import document_store
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team, User
from xiaoguan.tracking.hits import link_cache_clear

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Deal:
    rep: User
    manager: User
    account: Account
    contact: Contact
    opportunity: Opportunity

    def quote(self, *, name: str = "报价单-v2.pdf") -> Document:
        return document_store(
            file=io.BytesIO(PDF_BYTES), name=name, kind=Document.Kind.QUOTE, uploaded_by=self.rep,
            now=self.opportunity.created_at, opportunity=self.opportunity,
        )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    link_cache_clear()


@pytest.fixture
def deal(db) -> Deal:  # type: ignore[no-untyped-def]
    region = TeamFactory(name="华东大区", kind=Team.Kind.REGION)
    manager = UserFactory(role=Role.MANAGER, team=region, name="王经理")
    rep = UserFactory(role=Role.REP, team=region, manager=manager, name="小李")
    account = AccountFactory(owner=rep, name="苏州精测仪器有限公司")
    contact = ContactFactory(account=account, name="张工")
    return Deal(rep=rep, manager=manager, account=account, contact=contact, opportunity=OpportunityFactory(account=account, owner=rep))
