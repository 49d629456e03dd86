"""The rule set as YAML (DESIGN.md principle 4): readable, diffable, with names beside ids so a reviewer can read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import yaml

from xiaoguan.org.models import Team, User
from xiaoguan.routing.engine import Conditions
from xiaoguan.routing.models import RepCapacity, default_daily_cap
from xiaoguan.routing.selectors import rule_list


def rules_document(*, now: datetime) -> dict[str, Any]:
    """Every rule in order with its conditions and target, the default daily cap and the reps' own caps/absences."""
    rules = list(rule_list())
    team_ids = {pk for r in rules for pk in Conditions.from_json(r.conditions).regions} | {r.target_team_id for r in rules if r.target_team_id}
    teams = {t.pk: t for t in Team.objects.filter(pk__in=team_ids)}
    rep_ids = {pk for r in rules for pk in r.target_rep_ids or []}
    capacities = list(RepCapacity.objects.select_related("user").order_by("user__name"))
    people = {u.pk: u for u in User.objects.filter(pk__in=rep_ids)}

    def team_ref(pk: int) -> dict[str, Any]:
        team = teams.get(pk)
        return {"id": team.external_id, "name": team.name} if team else {"id": None, "name": str(pk)}

    def person_ref(pk: int) -> dict[str, Any]:
        person = people.get(pk)
        return {"id": person.external_id, "name": person.name, "email": person.email} if person else {"id": None, "name": str(pk)}

    out_rules = []
    for rule in rules:
        conditions: dict[str, Any] = dict(Conditions.from_json(rule.conditions).to_json())
        if "regions" in conditions:
            conditions["regions"] = [team_ref(pk) for pk in conditions["regions"]]
        target: dict[str, Any] = (
            {"team": team_ref(rule.target_team_id)} if rule.target_team_id else {"reps": [person_ref(pk) for pk in rule.target_rep_ids]}
        )
        out_rules.append({
            "id": rule.external_id, "position": rule.position, "name": rule.name, "enabled": rule.enabled, "version": rule.version,
            "strategy": rule.strategy, "conditions": conditions, "target": target, "updated_at": rule.updated_at.isoformat(),
        })
    return {
        "kind": "xiaoguan/routing-rules",
        "exported_at": now.isoformat(),
        "default_daily_cap": default_daily_cap(),
        "rules": out_rules,
        "capacity": [
            {"rep": {"id": c.user.external_id, "name": c.user.name}, "daily_cap": c.daily_cap, "away": c.away,
             "absent_from": c.absent_from.isoformat() if c.absent_from else None,
             "absent_until": c.absent_until.isoformat() if c.absent_until else None}
            for c in capacities
        ],
    }


def rules_yaml(*, now: datetime) -> str:
    return yaml.safe_dump(rules_document(now=now), allow_unicode=True, sort_keys=False, width=120)
