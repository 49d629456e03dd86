"""Reads of tracked links: visible with their deal (the one visibility rule), and what each link's recipient did."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, QuerySet

from xiaoguan.engagement.models import TouchEvent
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.org.models import User
from xiaoguan.tracking.models import TrackedLink, TrackingHit
from xiaoguan.tracking.tokens import token_for


def tracked_link_list_visible_to(*, user: User) -> QuerySet[TrackedLink]:
    return TrackedLink.objects.select_related("contact", "document", "opportunity", "account").filter(
        opportunity__in=opportunity_list_visible_to(user=user).values("pk")
    )


def tracked_link_token(*, link: TrackedLink) -> str:
    return token_for(link.pk)


@dataclass
class LinkActivity:
    """What a link's recipient did: counted behaviours by kind, the last one, and the hits set aside (bots, replays)."""

    counts: dict[str, int] = field(default_factory=dict)
    last_at: datetime | None = None
    uncounted: dict[str, int] = field(default_factory=dict)


def tracked_link_activity(*, links: list[TrackedLink]) -> dict[int, LinkActivity]:
    """Two grouped reads for any number of links."""
    by_key = {link.external_id: link.pk for link in links}
    found: dict[int, LinkActivity] = defaultdict(LinkActivity)
    rows = TouchEvent.objects.filter(tracked_item_key__in=list(by_key)).order_by().values("tracked_item_key", "kind").annotate(n=Count("*"), last=Max("occurred_at"))
    for row in rows:
        activity = found[by_key[row["tracked_item_key"]]]
        activity.counts[row["kind"]] = row["n"]
        if row["kind"] != TouchEvent.Kind.SENT and (activity.last_at is None or row["last"] > activity.last_at):
            activity.last_at = row["last"]
    hits = TrackingHit.objects.filter(link_id__in=list(by_key.values())).order_by().values_list("link_id", "flag").annotate(n=Count("*"))
    for link_id, flag, n in hits:
        found[link_id].uncounted[flag] = n
    return dict(found)


def tracking_hit_list(*, link: TrackedLink, limit: int = 50) -> QuerySet[TrackingHit]:
    return TrackingHit.objects.filter(link=link).order_by("-at", "-pk")[:limit]
