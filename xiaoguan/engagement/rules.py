"""The engagement jobs the sweep runs: the silent-customer rule (关怀任务) and each rep's daily top-3 behaviours.

Seeds (article 000): "当客户连续72小时无任何触点行为且价值分<5，自动推送'客户关怀任务'至销售待办" and
"在日报中展示'今日高价值行为TOP3'".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.activities.models import Activity, Task
from xiaoguan.activities.services import task_create
from xiaoguan.automation.models import Notification
from xiaoguan.automation.registry import notification_kind, periodic_job
from xiaoguan.automation.services import NotificationDraft, notify_many
from xiaoguan.core.clock import day_start, org_tz
from xiaoguan.customers.models import Account
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.engagement.selectors import WEIGHTED_KINDS, engagement_policy_current, engagement_scores
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import User

notification_kind("engagement_silent", label=gettext_lazy("沉默客户关怀"), default_channels=("wecom_notice", "dingtalk_notice"))
notification_kind("engagement_digest", label=gettext_lazy("今日高价值行为"), default_channels=())

# A customer is watched when it has an open deal or showed any behaviour in this many days; the rest of the book
# (dormant accounts) would otherwise turn into thousands of care tasks on the first run.
WATCH_DAYS = 30
# A care task is for today: due at the end of the owner's day (at least two hours ahead), so it sits in today's
# to-dos on the workbench rather than tomorrow's.
CARE_TASK_MIN_HOURS = 2
DIGEST_TOP = 3


@dataclass
class DigestLine:
    account: str
    account_external_id: str
    behaviours: list[str] = field(default_factory=list)
    score: float = 0.0


def silent_accounts(*, now: datetime) -> list[tuple[Account, datetime | None, float]]:
    """Watched accounts with no touch for the policy's hours and a score under its bar: (account, last touch, score).

    "Touch" is either side: the customer's behaviour (any touch event) or the rep's follow-up (any activity) — a
    customer the rep called yesterday does not need a care task today.
    """
    policy = engagement_policy_current()
    quiet_since = now - timedelta(hours=policy.silent_hours)
    watched = Account.objects.filter(owner__isnull=False, owner__is_active=True).filter(
        Q(pk__in=Opportunity.objects.filter(status=Opportunity.Status.OPEN).values("account_id"))
        | Q(pk__in=TouchEvent.objects.filter(occurred_at__gt=now - timedelta(days=WATCH_DAYS), occurred_at__lte=now).values("account_id"))
    )
    touched_recently = Q(pk__in=TouchEvent.objects.filter(occurred_at__gt=quiet_since, occurred_at__lte=now).values("account_id")) | Q(
        pk__in=Activity.objects.filter(occurred_at__gt=quiet_since, occurred_at__lte=now, account__isnull=False).values("account_id")
    )
    quiet = watched.exclude(touched_recently)
    last_event = dict(
        TouchEvent.objects.filter(account__in=quiet.values("pk"), occurred_at__lte=now).order_by().values("account_id")
        .annotate(last=Max("occurred_at")).values_list("account_id", "last")
    )
    last_activity = dict(
        Activity.objects.filter(account__in=quiet.values("pk"), occurred_at__lte=now).order_by().values("account_id")
        .annotate(last=Max("occurred_at")).values_list("account_id", "last")
    )
    scores = engagement_scores(subject="account", ids=quiet.values("pk"), now=now, policy=policy)
    found = []
    for account in quiet.select_related("owner"):
        score = scores[account.pk].score if account.pk in scores else 0.0
        if score >= policy.silent_score_below:
            continue
        touches = [t for t in (last_event.get(account.pk), last_activity.get(account.pk)) if t is not None]
        found.append((account, max(touches) if touches else None, score))
    return found


def _silence_key(account: Account, last_touch: datetime | None) -> str:
    # One care task per silence: the key names the last touch, so a re-run finds it, and a customer who comes back
    # and goes quiet again gets a new one.
    return f"engagement-silent:{account.pk}:{int(last_touch.timestamp()) if last_touch else 'never'}"


def _care_due(now: datetime) -> datetime:
    end_of_day = day_start(now.astimezone(org_tz()).date() + timedelta(days=1)) - timedelta(minutes=1)
    return max(end_of_day, now + timedelta(hours=CARE_TASK_MIN_HOURS))


@periodic_job("engagement_silent_customers", schedule="every 60m")
def silent_customers_job(now: datetime) -> str:
    """72 h without any touch and a score under 5 → a care task (关怀任务) in the owner's to-dos, and the bell."""
    found = silent_accounts(now=now)
    keys = {_silence_key(a, last): (a, last, score) for a, last, score in found}
    done = set(Notification.objects.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True))
    drafts = []
    policy = engagement_policy_current()
    for key, (account, last, score) in keys.items():
        if key in done or account.owner is None:
            continue
        hours = policy.silent_hours if last is None else int((now - last).total_seconds() // 3600)
        # Past two days the silence reads in days ("已 257 天无触点", not "6188 小时").
        if hours >= 48:
            title = _("关怀任务：%(account)s 已 %(days)s 天无触点") % {"account": account.name, "days": hours // 24}
        else:
            title = _("关怀任务：%(account)s 已 %(hours)s 小时无触点") % {"account": account.name, "hours": hours}
        task = task_create(
            by=account.owner, owner=account.owner, now=now, title=title, due_at=_care_due(now),
            account=account, source=Task.Source.SYSTEM,
        )
        body = _("价值分 %(score).1f（低于 %(bar)s），最近触点：%(last)s。建议致电或发送案例资料唤醒客户。") % {
            "score": score, "bar": f"{policy.silent_score_below:g}",
            "last": last.astimezone(org_tz()).strftime("%m-%d %H:%M") if last else _("无"),
        }
        drafts.append(NotificationDraft(
            recipient=account.owner, kind="engagement_silent", title=title, body=body, dedupe_key=key,
            link=reverse("web:account_detail", args=[account.external_id]), subject_kind="task", subject_id=task.pk,
        ))
    notify_many(drafts=drafts, now=now)
    return f"{len(drafts)} care tasks"


def rep_daily_top(*, now: datetime, top: int = DIGEST_TOP) -> dict[int, list[DigestLine]]:
    """Per owner: today's accounts with the most valuable customer behaviours (today's weights, no decay), best first."""
    policy = engagement_policy_current()
    labels = dict(TouchEvent.Kind.choices)
    rows = (
        TouchEvent.objects.filter(
            kind__in=WEIGHTED_KINDS, occurred_at__gte=day_start(now.astimezone(org_tz()).date()), occurred_at__lte=now,
            account__owner__isnull=False,
        )
        .order_by().values("account__owner_id", "account_id", "account__name", "account__external_id", "kind").annotate(n=Count("*"))
    )
    lines: dict[tuple[int, int], DigestLine] = {}
    for row in rows:
        line = lines.setdefault(
            (row["account__owner_id"], row["account_id"]),
            DigestLine(account=row["account__name"], account_external_id=row["account__external_id"]),
        )
        line.behaviours.append(str(labels[row["kind"]]) + (f"×{row['n']}" if row["n"] > 1 else ""))
        line.score += policy.weight(row["kind"]) * row["n"]
    by_owner: dict[int, list[DigestLine]] = defaultdict(list)
    for (owner_id, _account_id), line in lines.items():
        by_owner[owner_id].append(line)
    return {owner: sorted(found, key=lambda line: (-line.score, line.account))[:top] for owner, found in by_owner.items()}


@periodic_job("engagement_daily_digest", schedule="daily 18:00")
def engagement_digest_job(now: datetime) -> str:
    """Each rep's evening line: today's top-3 high-value behaviours of their customers (in the bell)."""
    day = now.astimezone(org_tz()).date()
    tops = rep_daily_top(now=now)
    owners = {u.pk: u for u in User.objects.filter(pk__in=list(tops), is_active=True)}
    drafts = []
    for owner_id, lines in tops.items():
        owner = owners.get(owner_id)
        if owner is None:
            continue
        body = "\n".join(
            _("%(n)s. %(account)s：%(behaviours)s，价值分 %(score)s") % {
                "n": i, "account": line.account, "behaviours": "、".join(line.behaviours), "score": f"{line.score:g}",
            }
            for i, line in enumerate(lines, start=1)
        )
        drafts.append(NotificationDraft(
            recipient=owner, kind="engagement_digest", dedupe_key=f"engagement-digest:{owner.pk}:{day.isoformat()}",
            title=_("今日高价值行为 TOP%(n)s（%(day)s）") % {"n": len(lines), "day": day.strftime("%m-%d")}, body=body,
            link=reverse("web:account_detail", args=[lines[0].account_external_id]),
        ))
    notify_many(drafts=drafts, now=now)
    return f"{len(drafts)} digests"
