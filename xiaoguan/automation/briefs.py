"""Monday 08:30: each manager with a team is told their weekly brief (周例会简报) is ready, with a link to it.

The notice carries only what is cheap and already computed (the change between the forecast snapshots the 06:00 job
took this Monday and last); the brief itself is built when it is opened (insights/brief.py), for the people the
reader may see. Directors open the same page from the cockpit.
"""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.automation.registry import notification_kind, periodic_job
from xiaoguan.automation.services import NotificationDraft, notify_many
from xiaoguan.core.clock import org_tz
from xiaoguan.insights.brief import forecast_changes
from xiaoguan.insights.snapshots import week_monday
from xiaoguan.org.models import Role, User
from xiaoguan.org.selectors import user_reports

notification_kind("weekly_brief", label=gettext_lazy("周例会简报"), default_channels=("wecom_notice", "dingtalk_notice"))


def _forecast_line(user: User, week: date) -> str:
    for change in forecast_changes(user=user, week=week):
        if change.current is None:
            continue
        scope = change.team.name if change.team else _("全公司")
        line = _("%(scope)s本季度预测落地 %(landing)s 元") % {"scope": scope, "landing": f"{change.current.landing:,.0f}"}
        delta = change.landing_change
        if delta is not None:
            line += _("，较上周 %(delta)s 元") % {"delta": f"{delta:+,.0f}"}
        return line + _("。")
    return ""


@periodic_job("weekly_brief", schedule="weekly mon 08:30")
def weekly_brief_job(now: datetime) -> str:
    week = week_monday(now.astimezone(org_tz()).date())
    link = reverse("web:cockpit_brief") + f"?week={week.isoformat()}"
    drafts = []
    for user in User.objects.filter(role=Role.MANAGER, is_active=True).select_related("team"):
        if not user_reports(manager=user).exists():
            continue  # nobody to hold a meeting with
        body = _forecast_line(user, week) + _("线索质量、卡点阶段、需要帮助的销售和上周决议的进度都在简报里；例会上的决议可以直接派成待办。")
        drafts.append(NotificationDraft(
            recipient=user, kind="weekly_brief", dedupe_key=f"weekly-brief:{user.pk}:{week.isoformat()}",
            title=_("本周例会简报（%(day)s）") % {"day": week.strftime("%m-%d")}, body=body, link=link,
        ))
    notify_many(drafts=drafts, now=now)
    return f"{len(drafts)} weekly briefs"
