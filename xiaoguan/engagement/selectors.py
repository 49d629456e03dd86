"""Reads of touch behaviour: who may see which events, the policy in force, and the engagement score.

The score of a contact, a deal or an account is the sum over its customer's behaviours of
weight(kind) × 0.5 ^ (age in days / half-life): a download today counts 5, the same download a half-life ago 2.5.
It is computed in the database, grouped by (subject, kind), whatever the number of subjects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, FloatField, Func, Max, QuerySet, Sum, Value
from django.db.models.functions import Power
from django.utils.translation import gettext as _

from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.engagement.models import EngagementPolicy, TouchEvent
from xiaoguan.org.models import User
from xiaoguan.org.visibility import owner_scope, scope_apply

Kind = TouchEvent.Kind
# The customer's own behaviours carry weight; "sent" is the rep's act and "delivered" a machine's.
WEIGHTED_KINDS: tuple[str, ...] = (Kind.OPENED, Kind.CLICKED, Kind.DOWNLOADED, Kind.MEETING_BOOKED)
# Past this many half-lives a behaviour adds less than 0.1 % of its weight: older rows are not read.
HORIZON_HALF_LIVES = 10
SUBJECT_FIELDS = {"account": "account_id", "contact": "contact_id", "opportunity": "opportunity_id"}


def touch_event_list_visible_to(*, user: User) -> QuerySet[TouchEvent]:
    """Touch events on accounts the user may see as owner or manager."""
    return scope_apply(TouchEvent.objects.select_related("contact"), owner_scope(user=user, owner_field="account__owner"))


@dataclass(frozen=True)
class Policy:
    """The numbers in force (the newest EngagementPolicy row, or the seeds' defaults when nobody has saved one)."""

    weights: dict[str, float]
    half_life_days: float = 7.0
    silent_hours: int = 72
    silent_score_below: float = 5.0
    version: int = 0

    def weight(self, kind: str) -> float:
        return self.weights.get(kind, 0.0)


DEFAULT_WEIGHTS = {Kind.OPENED.value: 1.0, Kind.CLICKED.value: 3.0, Kind.DOWNLOADED.value: 5.0, Kind.MEETING_BOOKED.value: 8.0}
DEFAULT_POLICY = Policy(weights=DEFAULT_WEIGHTS)
_policy_cache = ProcessCache("engagement.policy", seconds=30.0, models=(EngagementPolicy,))
engagement_policy_cache_clear = _policy_cache.clear


def policy_from_row(row: EngagementPolicy) -> Policy:
    return Policy(
        weights={
            Kind.OPENED.value: float(row.weight_opened), Kind.CLICKED.value: float(row.weight_clicked),
            Kind.DOWNLOADED.value: float(row.weight_downloaded), Kind.MEETING_BOOKED.value: float(row.weight_meeting_booked),
        },
        half_life_days=float(row.half_life_days), silent_hours=row.silent_hours,
        silent_score_below=float(row.silent_score_below), version=row.version,
    )


def engagement_policy_current() -> Policy:
    """The policy in force: read on every page that shows a score, so a per-process copy (30 s; dropped on save)."""

    def load() -> Policy:
        row = EngagementPolicy.objects.order_by("-version").first()
        return DEFAULT_POLICY if row is None else policy_from_row(row)

    return _policy_cache.get("current", load)


def engagement_policy_history(*, limit: int = 20) -> QuerySet[EngagementPolicy]:
    return EngagementPolicy.objects.select_related("changed_by").order_by("-version")[:limit]


class _AgeDays(Func):
    """Days from the row's time to `now`, as a float, in each database's own date arithmetic."""

    output_field = FloatField()

    def __init__(self, expression: Any, *, now: datetime) -> None:
        super().__init__(expression)
        self.now = now

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(julianday(%s) - julianday({sql}))", [connection.ops.adapt_datetimefield_value(self.now), *params]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(EXTRACT(EPOCH FROM (%s - {sql})) / 86400.0)", [self.now, *params]


@dataclass
class EngagementScore:
    """One subject's score, with what made it: per kind the count and the decayed points."""

    score: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    points: dict[str, float] = field(default_factory=dict)
    last_at: datetime | None = None

    @property
    def reasons(self) -> list[str]:
        labels = dict(Kind.choices)
        return [
            _("%(kind)s %(count)s 次，计 %(points).1f 分") % {"kind": labels[kind], "count": self.counts[kind], "points": self.points[kind]}
            for kind in sorted(self.points, key=lambda k: -self.points[k])
        ]


def engagement_scores(
    *, subject: str, now: datetime, ids: Iterable[int] | QuerySet[Any] | None = None, policy: Policy | None = None,
    events: QuerySet[TouchEvent] | None = None,
) -> dict[int, EngagementScore]:
    """Scores per subject (`account`, `contact` or `opportunity`) at `now`, for the given ids (or every subject).

    One grouped query: (subject, kind) → count, Σ 0.5^(age/half-life), last time. Behaviours after `now` are unknown.
    """
    policy = policy or engagement_policy_current()
    column = SUBJECT_FIELDS[subject]
    rows = (events if events is not None else TouchEvent.objects.all()).filter(
        kind__in=WEIGHTED_KINDS, occurred_at__lte=now,
        occurred_at__gt=now - timedelta(days=policy.half_life_days * HORIZON_HALF_LIVES),
        **{f"{column}__isnull": False},
    )
    if ids is not None:
        rows = rows.filter(**{f"{column}__in": ids if isinstance(ids, QuerySet) else list(ids)})
    decay = Power(Value(0.5), _AgeDays(F("occurred_at"), now=now) / Value(policy.half_life_days), output_field=FloatField())
    grouped = rows.order_by().values(column, "kind").annotate(n=Count("*"), decayed=Sum(decay), last=Max("occurred_at"))
    scores: dict[int, EngagementScore] = {}
    for row in grouped:
        score = scores.setdefault(row[column], EngagementScore())
        points = policy.weight(row["kind"]) * float(row["decayed"] or 0.0)
        score.counts[row["kind"]] = row["n"]
        score.points[row["kind"]] = points
        score.score += points
        if score.last_at is None or row["last"] > score.last_at:
            score.last_at = row["last"]
    for score in scores.values():
        score.score = round(score.score, 1)
    return scores


def engagement_score_of(*, subject: str, pk: int, now: datetime) -> EngagementScore:
    return engagement_scores(subject=subject, ids=[pk], now=now).get(pk, EngagementScore())
