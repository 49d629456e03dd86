"""A hit on a tracked link, recorded: the hot path behind `/t/<token>`, shared by the Django view and the WSGI fast path.

Per hit: the token's MAC (no query), the link from a per-process copy, then one INSERT. A counted behaviour is a
TouchEvent whose external id names the link, the behaviour and its window (`xg-E-<link>-opened-<window>`): the unique
key makes a replayed token count once per window, atomically, across processes. Hits that do not count (bots,
scanners, probes, replays) are one TrackingHit row each, flagged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.db import connection
from django.db.models.expressions import Col
from django.db.models.signals import post_delete, post_save

from xiaoguan.engagement.models import TouchEvent
from xiaoguan.tracking.bots import hit_flag
from xiaoguan.tracking.models import TrackedLink, TrackingHit
from xiaoguan.tracking.tokens import token_link_id

# One open / click / download per recipient per window: a reader who comes back after half an hour counts again.
WINDOW_SECONDS = 30 * 60
ROUTE_KIND = {"pixel": TouchEvent.Kind.OPENED.value, "view": TouchEvent.Kind.CLICKED.value, "download": TouchEvent.Kind.DOWNLOADED.value}
LINK_CACHE_SECONDS = 30.0
LINK_CACHE_MAX = 100_000


@dataclass(frozen=True, slots=True)
class LinkInfo:
    pk: int
    key: str
    kind: str
    label: str
    url: str
    document_id: int | None
    account_id: int
    contact_id: int | None
    opportunity_id: int | None
    owner_id: int
    sent_at: datetime
    expires_at: datetime | None
    revoked: bool

    def live(self, now: datetime) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True, slots=True)
class Hit:
    link: LinkInfo
    kind: str  # the behaviour this hit would be
    counted: bool
    flag: str = ""  # TrackingHit.Flag when not counted


# A per-process copy of links by id (30 s, dropped by a save in this process): a link is read on every hit and
# changes only when it is revoked. Another process sees a revocation within 30 s.
_links: dict[int, tuple[float, LinkInfo | None]] = {}


def link_cache_clear(**_signal: object) -> None:
    _links.clear()


post_save.connect(link_cache_clear, sender=TrackedLink, dispatch_uid="tracking.links.saved", weak=False)
post_delete.connect(link_cache_clear, sender=TrackedLink, dispatch_uid="tracking.links.deleted", weak=False)


_LINK_FIELDS = (
    "id", "external_id", "kind", "label", "url", "account_id", "contact_id", "opportunity_id", "created_by_id",
    "created_at", "expires_at", "revoked_at", "document_id",
)


def _link_row(link_id: int) -> tuple[Any, ...] | None:
    # Plain SQL: the ORM's query compilation alone cost 1.5 ms of CPU per cache miss (profiled, bench tracking), and a
    # fresh worker misses once per link.
    table = connection.ops.quote_name(TrackedLink._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(_LINK_FIELDS)} FROM {table} WHERE id = %s", [link_id])  # noqa: S608 — names from the model
        row = cursor.fetchone()
    if row is None:
        return None
    converters = {"created_at": 9, "expires_at": 10, "revoked_at": 11}
    values = list(row)
    for name, index in converters.items():
        if values[index] is not None:
            values[index] = _datetime(TrackedLink._meta.get_field(name), values[index])
    return tuple(values)


def _datetime(field: Any, value: Any) -> datetime:
    # SQLite returns text; PostgreSQL an aware datetime. The backend's own converters make both an aware datetime.
    for converter in connection.ops.get_db_converters(Col(TrackedLink._meta.db_table, field)):
        value = converter(value, None, connection)
    return cast(datetime, value)


def link_info(link_id: int) -> LinkInfo | None:
    entry = _links.get(link_id)
    now = time.monotonic()
    if entry is not None and now - entry[0] <= LINK_CACHE_SECONDS:
        return entry[1]
    row = _link_row(link_id)
    info = None
    if row is not None:
        info = LinkInfo(
            pk=row[0], key=row[1], kind=row[2], label=row[3], url=row[4], account_id=row[5], contact_id=row[6], opportunity_id=row[7],
            owner_id=row[8], sent_at=row[9], expires_at=row[10], revoked=row[11] is not None, document_id=row[12],
        )
    if len(_links) >= LINK_CACHE_MAX:
        _links.clear()
    _links[link_id] = (now, info)
    return info


def link_for_token(token: str, *, now: datetime) -> LinkInfo | None:
    """The live link a genuine token names; None when forged, unknown, revoked or expired (the caller answers 404)."""
    link_id = token_link_id(token)
    if link_id is None:
        return None
    link = link_info(link_id)
    return link if link is not None and link.live(now) else None


def touch_external_id(link: LinkInfo | TrackedLink, kind: str, window: int | None = None) -> str:
    return f"xg-E-{link.pk}-{kind}" + ("" if window is None else f"-{window}")


_EVENT_SQL: dict[str, str] = {}


def _event_sql() -> str:
    vendor = connection.vendor
    if vendor not in _EVENT_SQL:
        table = connection.ops.quote_name(TouchEvent._meta.db_table)
        _EVENT_SQL[vendor] = (
            f"INSERT INTO {table} (external_id, tracked_item_key, document, account_id, contact_id, opportunity_id, kind, occurred_at) "  # noqa: S608 — names from the model
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (external_id) DO NOTHING"
        )
    return _EVENT_SQL[vendor]


def event_insert(*, link: LinkInfo, kind: str, external_id: str, now: datetime) -> bool:
    """One TouchEvent for the link, unless one with this external id exists. True when written.

    On SQLite the statement queues on the database's write lock like every writer (xiaoguan/core/sqlite)."""
    with connection.cursor() as cursor:
        cursor.execute(_event_sql(), [
            external_id, link.key, link.label[:200], link.account_id, link.contact_id, link.opportunity_id, kind,
            connection.ops.adapt_datetimefield_value(now),
        ])
        return bool(cursor.rowcount)


def _log_insert(*, link: LinkInfo, route: str, flag: str, detail: str, user_agent: str, ip: str, now: datetime) -> None:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(TrackingHit._meta.db_table)
        cursor.execute(
            f"INSERT INTO {table} (link_id, at, route, flag, detail, user_agent, ip) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            [link.pk, connection.ops.adapt_datetimefield_value(now), route, flag, detail[:100], user_agent[:300], ip[:45]],
        )


def hit_record(*, link: LinkInfo, route: str, method: str, user_agent: str, ip: str, now: datetime) -> Hit:
    """Record one hit on a live link: the recipient's behaviour (once per window), or a flagged log row."""
    kind = ROUTE_KIND[route]
    flag, detail = hit_flag(method=method, user_agent=user_agent, ip=ip, seconds_since_sent=(now - link.sent_at).total_seconds())
    if flag:
        # Something fetched the link: whatever it was, the message reached the recipient's side.
        event_insert(link=link, kind=TouchEvent.Kind.DELIVERED, external_id=touch_external_id(link, TouchEvent.Kind.DELIVERED), now=now)
        _log_insert(link=link, route=route, flag=flag, detail=detail, user_agent=user_agent, ip=ip, now=now)
        return Hit(link=link, kind=kind, counted=False, flag=flag)
    window = int(now.timestamp()) // WINDOW_SECONDS
    if event_insert(link=link, kind=kind, external_id=touch_external_id(link, kind, window), now=now):
        return Hit(link=link, kind=kind, counted=True)
    _log_insert(link=link, route=route, flag=TrackingHit.Flag.REPLAY, detail="", user_agent=user_agent, ip=ip, now=now)
    return Hit(link=link, kind=kind, counted=False, flag=TrackingHit.Flag.REPLAY)
