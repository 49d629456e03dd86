from __future__ import annotations

from django.db.models import Q, QuerySet

from xiaoguan.org.models import Role, User
from xiaoguan.org.visibility import NOTHING, owner_scope, scope_any, scope_apply
from xiaoguan.targets.models import Target


def target_list_visible_to(*, user: User) -> QuerySet[Target]:
    """Own targets; a manager also those of the team subtree and its people; director and admin all."""
    team_scope = NOTHING
    if user.role == Role.MANAGER and user.team is not None and user.team.path:
        team_scope = Q(team__path__startswith=user.team.path)
    return scope_apply(Target.objects.select_related("user", "team"), scope_any(owner_scope(user=user, owner_field="user"), team_scope))
