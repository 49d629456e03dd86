"""Reads of people and teams."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.visibility import SEE_ALL_ROLES


def team_list_visible_to(*, user: User) -> QuerySet[Team]:
    """The team tree is the company's org chart: every active user may read it (records stay behind their own rules)."""
    teams = Team.objects.select_related("parent").order_by("path")
    return teams if user.is_active else teams.none()


def team_subtree(*, team: Team) -> QuerySet[Team]:
    return Team.objects.filter(path__startswith=team.path)


def user_list_visible_to(*, user: User) -> QuerySet[User]:
    """People the user may see in lists and pickers: everyone for director/admin, the subtree for a manager."""
    users = User.objects.select_related("team", "manager")
    if user.role in SEE_ALL_ROLES:
        return users
    if user.role == Role.MANAGER and user.team_id is not None:
        return users.filter(Q(team__path__startswith=user.team.path) | Q(pk=user.pk))  # type: ignore[union-attr]
    return users.filter(pk=user.pk)


def user_reports(*, manager: User) -> QuerySet[User]:
    """The active sales people under a manager's team subtree (the manager's team view)."""
    return user_list_visible_to(user=manager).filter(is_active=True, role=Role.REP).order_by("team__path", "name")


def manager_chain(*, user: User) -> list[User]:
    """The user's managers, nearest first (stops at a loop)."""
    chain: list[User] = []
    seen = {user.pk}
    node = user.manager
    while node is not None and node.pk not in seen:
        chain.append(node)
        seen.add(node.pk)
        node = node.manager
    return chain


# Which region a team sits in: read for every assignment, changed when the org chart is redrawn.
_team_regions = ProcessCache("org.team_regions", seconds=60.0, models=(Team,))


def team_region_id(team_id: int) -> int | None:
    """The id of the region team `team_id` sits in (itself when it is one), from a per-process copy of the tree."""

    def load() -> dict[int, int | None]:
        teams = {pk: (parent_id, kind) for pk, parent_id, kind in Team.objects.values_list("pk", "parent_id", "kind")}
        regions: dict[int, int | None] = {}
        for pk in teams:
            node: int | None = pk
            seen: set[int] = set()
            while node is not None and node not in seen and teams[node][1] != Team.Kind.REGION:
                seen.add(node)
                node = teams[node][0] if teams[node][0] in teams else None
            regions[pk] = node
        return regions

    return _team_regions.get("regions", load).get(team_id)
