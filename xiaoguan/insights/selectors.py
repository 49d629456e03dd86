"""Reads for the insights: whole columns fetched set-wise into numpy arrays (never row objects through the ORM).

Times come back as epoch seconds computed by the database itself: parsing millions of timestamps in Python would cost
more than everything else the authenticity scoring does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connections
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from xiaoguan.activities.models import Activity, Task
from xiaoguan.core.bulk import chunked
from xiaoguan.customers.models import Account
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.insights.sqlparts import sql_epoch, sql_instant
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.org.models import User

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
CHUNK = 50_000


@dataclass(frozen=True)
class ActivityColumns:
    """One entry per activity recorded before the as-of instant. Missing foreign keys are 0, missing positions NaN."""

    pk: I64
    owner: I64
    account: I64
    opportunity: I64
    kind: I64  # index into `kinds`
    kinds: list[str]
    occurred: I64  # epoch seconds
    recorded: I64
    duration: I64  # 0 when not claimed
    content: I64  # index into `contents` (identical texts share an index)
    contents: list[str]
    lat: F64
    lng: F64
    lead: I64

    def __len__(self) -> int:
        return len(self.pk)


@dataclass(frozen=True)
class TraceColumns:
    """What the customer and the deal did: touch events and stage entries before the as-of instant."""

    touch_account: I64
    touch_opportunity: I64
    touch_at: I64
    stage_opportunity: I64
    stage_at: I64


# The database computes epoch seconds, and instants are passed as it stores them (one place: insights/sqlparts.py).
_epoch = sql_epoch
_param = sql_instant


NO_POSITION = -1000.0  # NULL positions come back as this (a number keeps the whole row numeric), NaN afterwards


def activity_columns(*, before: datetime, since: datetime | None = None, database: str = "default") -> ActivityColumns:
    """Every activity recorded before `before` (and, with `since`, recorded at or after it), as columns.

    Each fetched chunk becomes one numpy array in C (every number fits a float64 exactly: ids, epoch seconds, positions);
    only the content texts go through Python, dictionary-coded so equal texts share a small integer.
    """
    conn = connections[database]
    vendor = conn.vendor
    t = Activity._meta.db_table
    kinds = [value for value, _label in Activity.Kind.choices]
    kind_case = "CASE kind " + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(kinds)) + f" ELSE {len(kinds)} END"
    sql = (
        f"SELECT id, owner_id, COALESCE(account_id, 0), COALESCE(opportunity_id, 0), {kind_case}, "  # noqa: S608 - names and choices only
        f"{_epoch('occurred_at', vendor)}, {_epoch('recorded_at', vendor)}, COALESCE(duration_seconds, 0), "
        f"COALESCE(CAST(lat AS DOUBLE PRECISION), {NO_POSITION}), COALESCE(CAST(lng AS DOUBLE PRECISION), {NO_POSITION}), "
        "COALESCE(lead_id, 0), content "
        f"FROM {t} WHERE recorded_at < %s" + (" AND recorded_at >= %s" if since is not None else "")
    )
    numbers: list[npt.NDArray[np.float64]] = []
    content_codes: list[npt.NDArray[np.int64]] = []
    content_table: dict[str, int] = {}
    with conn.cursor() as cursor:
        cursor.execute(sql, [_param(before, vendor)] + ([_param(since, vendor)] if since is not None else []))
        while True:
            rows: Sequence[tuple[Any, ...]] = cursor.fetchmany(CHUNK)
            if not rows:
                break
            block = np.array(rows, dtype=object)
            numbers.append(block[:, :11].astype(np.float64))
            table = content_table
            content_codes.append(
                np.fromiter((table.setdefault(v, len(table)) for v in block[:, 11]), dtype=np.int64, count=len(rows))
            )
    num = np.concatenate(numbers) if numbers else np.zeros((0, 11))
    ints = num[:, :8].astype(np.int64)
    lat, lng = num[:, 8], num[:, 9]
    lat[lat == NO_POSITION] = np.nan
    lng[lng == NO_POSITION] = np.nan
    return ActivityColumns(
        pk=ints[:, 0].copy(), owner=ints[:, 1].copy(), account=ints[:, 2].copy(), opportunity=ints[:, 3].copy(),
        kind=ints[:, 4].copy(), kinds=[*kinds, ""], occurred=ints[:, 5].copy(), recorded=ints[:, 6].copy(),
        duration=ints[:, 7].copy(), content=np.concatenate(content_codes) if content_codes else np.zeros(0, dtype=np.int64),
        contents=list(content_table), lat=lat.copy(), lng=lng.copy(), lead=num[:, 10].astype(np.int64),
    )  # fmt: skip


def trace_columns(*, before: datetime, since: datetime | None = None, database: str = "default") -> TraceColumns:
    """Touch events and stage entries that happened before `before` (and, with `since`, at or after it)."""
    conn = connections[database]
    vendor = conn.vendor
    te, sh = TouchEvent._meta.db_table, StageHistory._meta.db_table
    params = [_param(before, vendor)] + ([_param(since, vendor)] if since is not None else [])
    with conn.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(account_id, 0), COALESCE(opportunity_id, 0), {_epoch('occurred_at', vendor)} FROM {te} WHERE occurred_at < %s"  # noqa: S608
            + (" AND occurred_at >= %s" if since is not None else ""),
            params,
        )
        touches = cursor.fetchall()
        stage_sql = f"SELECT opportunity_id, {_epoch('entered_at', vendor)} FROM {sh} WHERE entered_at < %s"  # noqa: S608
        cursor.execute(stage_sql + (" AND entered_at >= %s" if since is not None else ""), params)
        stages = cursor.fetchall()
    tcols = list(zip(*touches, strict=True)) or [(), (), ()]
    scols = list(zip(*stages, strict=True)) or [(), ()]
    return TraceColumns(
        touch_account=np.asarray(tcols[0], dtype=np.int64),
        touch_opportunity=np.asarray(tcols[1], dtype=np.int64),
        touch_at=np.asarray(tcols[2], dtype=np.int64),
        stage_opportunity=np.asarray(scols[0], dtype=np.int64),
        stage_at=np.asarray(scols[1], dtype=np.int64),
    )


def account_cities(*, database: str = "default") -> dict[int, str]:
    """Account id -> its free-text city, for the accounts that have one."""
    return dict(Account.objects.using(database).exclude(city="").values_list("pk", "city"))


def activity_external_ids(*, pks: Sequence[int], database: str = "default") -> dict[int, str]:
    """External ids of the given activities (only the flagged few are ever asked for)."""
    out: dict[int, str] = {}
    for chunk in chunked(pks, 5000):
        out.update(Activity.objects.using(database).filter(pk__in=chunk).values_list("pk", "external_id"))
    return out


def user_external_ids(*, database: str = "default") -> dict[int, str]:
    return dict(User.objects.using(database).values_list("pk", "external_id"))


def stage_entries(*, since: datetime, before: datetime) -> list[tuple[int, int, str, datetime]]:
    """(opportunity owner, opportunity, stage key, entered at) of stage entries in [since, before)."""
    return list(
        StageHistory.objects.filter(entered_at__gte=since, entered_at__lt=before).values_list(
            "opportunity__owner_id", "opportunity_id", "stage__key", "entered_at"
        )
    )


def follow_up_plans(*, since: datetime, before: datetime) -> list[tuple[int, int, str, datetime]]:
    """(owner, account, account grade, due) of planned follow-ups that fell due in [since, before): the accounts' and their
    deals' next follow-up times, and follow-up to-dos."""
    plans: list[tuple[int, int, str, datetime]] = []
    plans += Account.objects.filter(next_follow_up_at__gte=since, next_follow_up_at__lt=before, owner__isnull=False).values_list(
        "owner_id", "pk", "grade", "next_follow_up_at"
    )  # type: ignore[arg-type]
    plans += Opportunity.objects.filter(next_follow_up_at__gte=since, next_follow_up_at__lt=before).values_list(
        "owner_id", "account_id", "account__grade", "next_follow_up_at"
    )  # type: ignore[arg-type]
    plans += Task.objects.filter(
        source=Task.Source.FOLLOW_UP, account__isnull=False, due_at__gte=since, due_at__lt=before
    ).values_list("owner_id", "account_id", "account__grade", "due_at")
    return plans


def open_pipeline_by_account() -> dict[int, float]:
    """Open deal amount per account: what ranks accounts when none carries a grade."""
    rows = Opportunity.objects.filter(status=Opportunity.Status.OPEN).values("account_id").annotate(total=Sum("amount"))
    return {r["account_id"]: float(r["total"] or 0) for r in rows}


def account_touch_times(*, accounts: Sequence[int], since: datetime, before: datetime) -> list[tuple[int, datetime]]:
    """(account, occurred at) of activities on the given accounts in [since, before)."""
    out: list[tuple[int, datetime]] = []
    for chunk in chunked(accounts, 900):
        out += Activity.objects.filter(account_id__in=chunk, occurred_at__gte=since, occurred_at__lt=before).values_list("account_id", "occurred_at")
    return out


def tasks_done(*, since: datetime, before: datetime) -> list[tuple[int, datetime, datetime]]:
    """(owner, due, done) of to-dos finished in [since, before)."""
    return list(Task.objects.filter(done_at__gte=since, done_at__lt=before).values_list("owner_id", "due_at", "done_at"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class DealColumns:
    """Every deal created before the as-of instant, and what had happened to it by then, as columns.

    A deal closed at or after the instant comes back open (`closed` = 0): what it became is not known yet. Kinds (of
    touch events, of activities) and activity texts are small integers indexing the lists beside them.
    """

    pk: I64
    owner: I64
    pipeline: I64  # pipeline pk
    amount: F64
    created: I64  # epoch seconds
    closed: I64  # epoch seconds, 0 while open at the instant
    won: npt.NDArray[np.bool_]  # closed and won
    # Stage entries before the instant, sorted by (opportunity, time): which stage position was entered when.
    entry_opportunity: I64
    entry_position: I64
    entry_at: I64
    # Touch events before the instant that name a deal.
    touch_opportunity: I64
    touch_kind: I64  # index into `touch_kinds`
    touch_kinds: list[str]
    touch_at: I64
    # Activities recorded before the instant on deals.
    activity_opportunity: I64
    activity_kind: I64  # index into `activity_kinds`
    activity_kinds: list[str]
    activity_recorded: I64
    activity_content: I64  # index into `activity_texts` (equal texts share one)
    activity_texts: list[str]

    def __len__(self) -> int:
        return len(self.pk)


def _codes(values: Sequence[str], table: dict[str, int]) -> I64:
    return np.fromiter((table.setdefault(v, len(table)) for v in values), dtype=np.int64, count=len(values))


def deal_columns(*, before: datetime, database: str = "default") -> DealColumns:
    conn = connections[database]
    vendor = conn.vendor
    o = Opportunity._meta.db_table
    sh, st, te = StageHistory._meta.db_table, "opportunities_stage", TouchEvent._meta.db_table
    at = _param(before, vendor)
    with conn.cursor() as cursor:
        cursor.execute(
            f"SELECT o.id, o.owner_id, o.pipeline_id, "  # noqa: S608 - table names only
            f"CAST(COALESCE(o.amount, 0) AS DOUBLE PRECISION), {_epoch('o.created_at', vendor)}, "
            f"CASE WHEN o.closed_at < %s THEN {_epoch('o.closed_at', vendor)} ELSE 0 END, "
            f"CASE WHEN o.closed_at < %s AND o.status = 'won' THEN 1 ELSE 0 END "
            f"FROM {o} o WHERE o.created_at < %s ORDER BY o.id",
            [at, at, at],
        )
        deals = cursor.fetchall()
        cursor.execute(
            f"SELECT h.opportunity_id, s.position, {_epoch('h.entered_at', vendor)} FROM {sh} h JOIN {st} s ON s.id = h.stage_id "  # noqa: S608
            f"WHERE h.entered_at < %s ORDER BY h.opportunity_id, h.entered_at, s.position",
            [at],
        )
        entries = cursor.fetchall()
        cursor.execute(
            f"SELECT opportunity_id, kind, {_epoch('occurred_at', vendor)} FROM {te} "  # noqa: S608
            f"WHERE opportunity_id IS NOT NULL AND occurred_at < %s",
            [at],
        )
        touches = cursor.fetchall()
        cursor.execute(
            f"SELECT opportunity_id, kind, {_epoch('recorded_at', vendor)}, content FROM {Activity._meta.db_table} "  # noqa: S608
            f"WHERE opportunity_id IS NOT NULL AND recorded_at < %s",
            [at],
        )
        activities = cursor.fetchall()
    d = list(zip(*deals, strict=True)) or [()] * 7
    e = list(zip(*entries, strict=True)) or [()] * 3
    t = list(zip(*touches, strict=True)) or [()] * 3
    act = list(zip(*activities, strict=True)) or [()] * 4
    activity_kinds: dict[str, int] = {k: i for i, (k, _label) in enumerate(Activity.Kind.choices)}
    texts: dict[str, int] = {}
    touch_kinds: dict[str, int] = {k: i for i, (k, _label) in enumerate(TouchEvent.Kind.choices)}
    return DealColumns(
        pk=np.asarray(d[0], dtype=np.int64), owner=np.asarray(d[1], dtype=np.int64), pipeline=np.asarray(d[2], dtype=np.int64),
        amount=np.asarray(d[3], dtype=np.float64), created=np.asarray(d[4], dtype=np.int64),
        closed=np.asarray(d[5], dtype=np.int64), won=np.asarray(d[6], dtype=bool),
        entry_opportunity=np.asarray(e[0], dtype=np.int64), entry_position=np.asarray(e[1], dtype=np.int64),
        entry_at=np.asarray(e[2], dtype=np.int64),
        touch_opportunity=np.asarray(t[0], dtype=np.int64), touch_kind=_codes(t[1], touch_kinds), touch_kinds=list(touch_kinds),
        touch_at=np.asarray(t[2], dtype=np.int64),
        activity_opportunity=np.asarray(act[0], dtype=np.int64), activity_kind=_codes(act[1], activity_kinds),
        activity_kinds=list(activity_kinds), activity_recorded=np.asarray(act[2], dtype=np.int64),
        activity_content=_codes(act[3], texts), activity_texts=list(texts),
    )  # fmt: skip


def deal_account_pairs(*, pks: Sequence[int]) -> tuple[I64, I64]:
    """(deal pks, their account pks), sorted by deal, for the given deals."""
    pairs: list[tuple[int, int]] = []
    for chunk in chunked(pks, 5000):
        pairs += Opportunity.objects.filter(pk__in=chunk).values_list("pk", "account_id")
    pairs.sort()
    return np.asarray([p for p, _a in pairs], dtype=np.int64), np.asarray([a for _p, a in pairs], dtype=np.int64)


LOOKUP_ALL_ABOVE = 20_000  # asked for more leads than this, one pass over the leads that have an account beats IN lists


def lead_account_pairs(*, pks: Sequence[int]) -> tuple[I64, I64]:
    """(lead pks, the account each became or belongs to), sorted by lead, for the given leads that have one."""
    with_account = Lead.objects.filter(Q(converted_account__isnull=False) | Q(account__isnull=False))
    pairs: list[tuple[int, int]] = []
    if len(pks) > LOOKUP_ALL_ABOVE:
        pairs = list(with_account.values_list("pk", Coalesce("converted_account_id", "account_id")))
    else:
        for chunk in chunked(pks, 5000):
            pairs += with_account.filter(pk__in=chunk).values_list("pk", Coalesce("converted_account_id", "account_id"))
    pairs.sort()
    return np.asarray([p for p, _a in pairs], dtype=np.int64), np.asarray([a for _p, a in pairs], dtype=np.int64)


def won_deal_rows(*, since: datetime, before: datetime) -> list[tuple[int, str, float | None, datetime]]:
    """(owner, product line, amount, closed at) of the deals won in [since, before)."""
    rows = Opportunity.objects.filter(status=Opportunity.Status.WON, closed_at__gte=since, closed_at__lt=before).values_list(
        "owner_id", "product_line", "amount", "closed_at"
    )
    return [(owner, line, float(amount) if amount is not None else None, closed) for owner, line, amount, closed in rows if closed is not None]


def team_external_ids(*, database: str = "default") -> dict[int, str]:
    from xiaoguan.org.models import Team

    return dict(Team.objects.using(database).values_list("pk", "external_id"))


def opportunity_external_ids(*, pks: Sequence[int], database: str = "default") -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in chunked(pks, 5000):
        out.update(Opportunity.objects.using(database).filter(pk__in=chunk).values_list("pk", "external_id"))
    return out
