"""A deal that meets every default stage gate: the fields, the documents, a sent quote, a demo, 三方比价 and 招标."""

from __future__ import annotations

from datetime import timedelta

from xiaoguan.activities.models import Activity
from xiaoguan.documents.models import Document
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.opportunities.models import Opportunity

from .sales import T0


def give_fields(opportunity: Opportunity) -> Opportunity:
    opportunity.core_need = "检测效率提升一倍"
    opportunity.blocker = "预算待批"
    opportunity.next_follow_up_at = T0 + timedelta(days=3650)
    opportunity.expected_close = (T0 + timedelta(days=60)).date()
    opportunity.save()
    return opportunity


def give_evidence(opportunity: Opportunity) -> Opportunity:
    """Everything the default gates of both seeded pipelines ask for, dated T0."""
    give_fields(opportunity)
    for kind in (Document.Kind.REQUIREMENTS_SURVEY, Document.Kind.PROPOSAL):
        Document.objects.create(
            file=f"documents/test-{kind}.pdf", original_name=f"{kind}.pdf", content_type="application/pdf", size=10, sha256="0" * 64,
            kind=kind, uploaded_by=opportunity.owner, uploaded_at=T0, account=opportunity.account, opportunity=opportunity,
        )
    TouchEvent.objects.create(
        tracked_item_key=f"test-{opportunity.pk}", document="报价单", account=opportunity.account, opportunity=opportunity,
        kind=TouchEvent.Kind.SENT, occurred_at=T0,
    )
    Activity.objects.create(
        owner=opportunity.owner, account=opportunity.account, opportunity=opportunity, kind=Activity.Kind.DEMO, occurred_at=T0, recorded_at=T0,
        content="现场演示",
    )
    opportunity.evidence_seen = {"price_comparison": {"at": T0.isoformat()}, "tender": {"at": T0.isoformat()}}
    opportunity.save(update_fields=["evidence_seen"])
    return opportunity
