"""Writes of keyword evidence: tag activities, advance "evidence seen" on their deals, alert on competitor + price.

A scan never moves a stage: it only records what the conversation showed; the stage gates read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity
from xiaoguan.automation.services import NotificationDraft, notify_many, timer_arm
from xiaoguan.core.bulk import chunked, rows_insert, rows_update
from xiaoguan.core.clock import org_tz
from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_record
from xiaoguan.core.models import HistoryEntry
from xiaoguan.evidence.matcher import Hit, Matcher, explain
from xiaoguan.evidence.models import ActivityEvidence, KeywordDictionary
from xiaoguan.evidence.rules import COMPETITOR_PRICE, IMPORT_SCAN_TIMER
from xiaoguan.evidence.selectors import keyword_matcher
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.selectors import manager_chain

QUOTE_STAGE = "quote_negotiation"
CHUNK = 5000

Row = tuple[int, int | None, str]  # pk, opportunity_id, content
Details = dict[int, tuple[datetime, str]]  # pk → occurred_at, external_id (read only for tagged activities on deals)


@dataclass
class ScanSummary:
    scanned: int = 0
    tagged: int = 0
    evidence: int = 0
    opportunities_advanced: int = 0
    alerts: int = 0


@dataclass(frozen=True)
class _Found:
    row: Row
    by_code: dict[str, list[Hit]]
    prices: list[tuple[str, int, int]]


def _scan_rows(matcher: Matcher, rows: Iterable[Row]) -> Iterator[_Found]:
    competitor_codes = matcher.competitor_codes
    for row in rows:
        content = row[2]
        if not content:
            continue
        result = matcher.scan(content)
        if not result.hits:
            continue
        by_code: dict[str, list[Hit]] = {}
        for hit in result.hits:
            by_code.setdefault(hit.code, []).append(hit)
        prices: list[tuple[str, int, int]] = []
        if row[1] is not None and competitor_codes & by_code.keys():
            prices = matcher.scan(content, prices=True).prices
        yield _Found(row=row, by_code=by_code, prices=prices)


def _regional_manager(owner: User) -> User | None:
    chain = [m for m in manager_chain(user=owner) if m.is_active]
    for person in chain:
        team = person.team
        if person.role == Role.MANAGER and team is not None and team.kind == Team.Kind.REGION:
            return person
    return next((p for p in chain if p.role == Role.MANAGER), chain[0] if chain else None)


def _alert_drafts(found: Sequence[_Found], matcher: Matcher, opportunities: dict[int, Opportunity]) -> list[NotificationDraft]:
    drafts = []
    for item in found:
        opp = opportunities.get(item.row[1] or 0)
        if opp is None or not item.prices or not opp.is_open or opp.stage.key != QUOTE_STAGE:
            continue
        names = sorted({h.text for code in matcher.competitor_codes for h in item.by_code.get(code, [])})
        manager = _regional_manager(opp.owner)
        if manager is None or not names:
            continue
        drafts.append(NotificationDraft(
            recipient=manager, kind=COMPETITOR_PRICE, dedupe_key=f"competitor-price:{item.row[0]}",
            title=_("报价谈判中出现竞品报价：%(deal)s") % {"deal": opp},
            body=_("%(rep)s 的跟进记录提到 %(names)s 与价格“%(price)s”：%(excerpt)s") % {
                "rep": opp.owner.name, "names": "、".join(names), "price": item.prices[0][0], "excerpt": item.row[2][:120],
            },
            link=f"/deals/{opp.external_id}/", subject_kind="opportunity", subject_id=opp.pk,
        ))
    return drafts


def _details(pks: list[int]) -> Details:
    return {pk: (at, external_id) for pk, at, external_id in Activity.objects.filter(pk__in=pks).values_list("pk", "occurred_at", "external_id")}


def _rows_write(rows: list[tuple[int, int | None, str, str, list[dict[str, object]], datetime]]) -> int:
    if connection.vendor != "sqlite":
        return rows_insert(
            model=ActivityEvidence, fields=["activity", "opportunity", "code", "stage_key", "matches", "scanned_at"], rows=rows,
            conflict=["activity", "code"],
        )
    # SQLite: JSON and the one timestamp prepared once here rather than per value by the field (a third of the scan).
    at = connection.ops.adapt_datetimefield_value(rows[0][5]) if rows else None
    values = [(pk, opp, code, stage, json.dumps(matches, ensure_ascii=False), at) for pk, opp, code, stage, matches, _at in rows]
    table = ActivityEvidence._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (activity_id, opportunity_id, code, stage_key, matches, scanned_at) VALUES (%s, %s, %s, %s, %s, %s) "  # noqa: S608
            "ON CONFLICT (activity_id, code) DO NOTHING",
            values,
        )
    return len(values)


def _evidence_rows(
    found: list[_Found], *, matcher: Matcher, now: datetime, first_seen: dict[int, dict[str, dict[str, Any]]], details: Details | None = None
) -> int:
    """One ActivityEvidence row per (activity, dictionary) — an existing pair is kept — and each deal's earliest
    sighting of each code collected into `first_seen`."""
    if details is None:
        details = _details([item.row[0] for item in found if item.row[1] is not None])
    rows = []
    tz = org_tz()
    for item in found:
        pk, opp_id, _content = item.row
        for code, hits in item.by_code.items():
            spec = matcher.dictionaries[code]
            rows.append((pk, opp_id, code, spec.stage_key, explain(hits), now))
            if opp_id is not None and pk in details:
                occurred_at, external_id = details[pk]
                at = occurred_at.astimezone(tz).isoformat()
                seen = first_seen.setdefault(opp_id, {})
                if code not in seen or seen[code]["at"] > at:
                    seen[code] = {"at": at, "activity": external_id, "words": sorted({h.word for h in hits}), "stage": spec.stage_key}
    return _rows_write(rows)


def _evidence_seen_advance(first_seen: dict[int, dict[str, dict[str, Any]]]) -> int:
    """Add to each deal's `evidence_seen` the codes it had not seen yet (what it had stays: the first sighting)."""
    changed = []
    for chunk in chunked(list(first_seen), 900):
        for opp in Opportunity.objects.filter(pk__in=chunk).only("pk", "evidence_seen"):
            seen = opp.evidence_seen or {}
            fresh = {code: info for code, info in first_seen[opp.pk].items() if code not in seen}
            if fresh:
                opp.evidence_seen = {**seen, **fresh}
                changed.append(opp)
    return rows_update(objs=changed, fields=["evidence_seen"])


def _alerts_send(found: list[_Found], *, matcher: Matcher, now: datetime) -> int:
    candidates = [item for item in found if item.prices and item.row[1] is not None]
    if not candidates:
        return 0
    opportunities = {
        o.pk: o
        for o in Opportunity.objects.filter(pk__in={item.row[1] for item in candidates}).select_related("stage", "owner__team", "owner__manager__team")
    }
    return len(notify_many(drafts=_alert_drafts(candidates, matcher, opportunities), now=now))


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


@transaction.atomic
def activity_evidence_scan(*, activity: Activity, now: datetime) -> ScanSummary:
    """Scan one new activity (activity_log calls this): tag it, advance its deal's evidence, alert if it must."""
    row: Row = (activity.pk, activity.opportunity_id, activity.content)
    return activities_rows_scan(rows=[row], now=now, alerts=True, details={activity.pk: (activity.occurred_at, activity.external_id)})


def activities_rows_scan(*, rows: Iterable[Row], now: datetime, alerts: bool, details: Details | None = None) -> ScanSummary:
    summary = ScanSummary()
    matcher = keyword_matcher()
    first_seen: dict[int, dict[str, dict[str, Any]]] = {}
    for chunk in _chunks(rows, CHUNK):
        summary.scanned += len(chunk)
        found = list(_scan_rows(matcher, chunk))
        if not found:
            continue
        summary.tagged += len(found)
        summary.evidence += _evidence_rows(found, matcher=matcher, now=now, first_seen=first_seen, details=details)
        if alerts:
            summary.alerts += _alerts_send(found, matcher=matcher, now=now)
    summary.opportunities_advanced = _evidence_seen_advance(first_seen)
    return summary


def activities_evidence_scan(*, activities: QuerySet[Activity], now: datetime, alerts: bool = False) -> ScanSummary:
    """Scan many activities set-wise (after an import, or after a dictionary change). An import is history: no alerts
    unless asked. Already tagged (activity, dictionary) pairs are kept as they are."""
    rows = activities.order_by().values_list("pk", "opportunity_id", "content").iterator(chunk_size=CHUNK)
    with transaction.atomic():
        return activities_rows_scan(rows=rows, now=now, alerts=alerts)


def evidence_scan_after_import(*, after_id: int, now: datetime) -> None:
    """Have the activities an import just wrote (ids above `after_id`) scanned by the next sweep, not inside the
    import: scanning runs at ~27,000 activities/s, and a million-row import should not wait for it."""
    timer_arm(kind=IMPORT_SCAN_TIMER, subject_kind="activity_import", subject_id=after_id, due_at=now, now=now, payload={"after_id": after_id})


# ------------------------------------------------------------------------------------------------- dictionaries


def can_edit_dictionaries(user: User) -> bool:
    return user.is_active and (user.role in (Role.DIRECTOR, Role.ADMIN) or user.is_superuser)


def words_parse(text: str) -> list[str]:
    """One word per line, or separated by commas / 、; blanks and repeats dropped, order kept."""
    return list(dict.fromkeys(w.strip() for w in re.split(r"[\n,，、;；]+", text) if w.strip()))


@transaction.atomic
def keyword_dictionary_update(
    *, dictionary: KeywordDictionary, by: User, now: datetime, words: list[str], enabled: bool, stage_key: str | None = None
) -> KeywordDictionary:
    """Change a dictionary's words; the version goes up and the change history keeps old and new."""
    if not can_edit_dictionaries(by):
        raise NotAllowedError()
    cleaned = list(dict.fromkeys(w.strip()[:30] for w in words if w.strip()))
    if not cleaned and enabled:
        raise ValidationFailedError(field_errors={"words": [_("至少填写一个关键词")]})
    new_stage = dictionary.stage_key if stage_key is None else stage_key.strip()
    before: dict[str, object] = {"words": dictionary.words, "enabled": dictionary.enabled, "stage_key": dictionary.stage_key}
    after: dict[str, object] = {"words": cleaned, "enabled": enabled, "stage_key": new_stage}
    if before == after:
        return dictionary
    dictionary.words, dictionary.enabled, dictionary.stage_key = cleaned, enabled, new_stage
    dictionary.version, dictionary.updated_at, dictionary.updated_by = dictionary.version + 1, now, by
    dictionary.save()
    history_record(
        subject=dictionary, actor=by, action=HistoryEntry.Action.UPDATED, at=now,
        changes={k: [before[k], after[k]] for k in before if before[k] != after[k]}, note=f"v{dictionary.version}",
    )
    return dictionary
