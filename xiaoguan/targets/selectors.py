from __future__ import annotations

from django.db.models import Q, QuerySet

from xiaoguan.org.models import User
from xiaoguan.org.visibility import SEE_ALL_ROLES, owner_scope
from xiaoguan.targets.models import Target


def target_list_visible_to(*, user: User) -> QuerySet[Target]:
    targets = Target.objects.select_related("user", "team")
    if user.role in SEE_ALL_ROLES and user.is_active:
        return targets
    team_q = Q(team__path__startswith=user.team.path) if user.team_id is not None and user.role == "manager" else Q(pk__in=[])  # type: ignore[union-attr]
    return targets.filter(owner_scope(user=user, owner_field="user") | team_q)
