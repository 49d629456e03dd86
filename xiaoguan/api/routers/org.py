"""/api/me, /api/teams, /api/users."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema

from xiaoguan.api.auth import viewer
from xiaoguan.api.errors import with_errors
from xiaoguan.api.pagination import PageParams, page_build
from xiaoguan.api.refs import visible_or_404
from xiaoguan.api.schemas.common import ExternalId, IdFilter, Query200, QueryBool
from xiaoguan.api.schemas.enums import RoleEnum, TeamKind
from xiaoguan.api.schemas.org import MeOut, TeamOut, TeamPage, UserOut, UserPage
from xiaoguan.org.selectors import team_list_visible_to, user_list_visible_to

router = Router(tags=["org 组织"])


class UserFilters(Schema):
    role: RoleEnum | None = None
    team_id: IdFilter = Field("", description="该团队（含下级团队）的人员")
    active: QueryBool | None = None
    q: Query200 = Field("", description="姓名、邮箱或编号")


class TeamFilters(Schema):
    kind: TeamKind | None = None
    parent_id: IdFilter = ""


def _teams(request: HttpRequest) -> Any:
    return team_list_visible_to(user=viewer(request))


@router.get("/me", response=with_errors({200: MeOut}), summary="当前用户")
def me(request: HttpRequest) -> Any:
    return MeOut.of_me(viewer(request), language=get_language() or "zh-hans")


@router.get("/teams", response=with_errors({200: TeamPage}), summary="团队列表")
def teams_list(request: HttpRequest, filters: Query[TeamFilters], page: Query[PageParams]) -> Any:
    """In tree order."""
    teams = _teams(request)
    if filters.kind is not None:
        teams = teams.filter(kind=filters.kind.value)
    if filters.parent_id:
        teams = teams.filter(parent__external_id=filters.parent_id)
    return page_build(request=request, queryset=teams.order_by("path", "pk"), params=page, item=TeamOut.of)


@router.get("/teams/{team_id}", response=with_errors({200: TeamOut}), summary="团队详情")
def teams_get(request: HttpRequest, team_id: ExternalId) -> Any:
    return TeamOut.of(visible_or_404(_teams(request), team_id))


@router.get("/users", response=with_errors({200: UserPage}), summary="人员列表")
def users_list(request: HttpRequest, filters: Query[UserFilters], page: Query[PageParams]) -> Any:
    """Who the caller may see: everyone for a director, the team subtree for a manager, oneself for a rep."""
    user = viewer(request)
    users = user_list_visible_to(user=user)
    if filters.role is not None:
        users = users.filter(role=filters.role.value)
    if filters.team_id:
        team = team_list_visible_to(user=user).filter(external_id=filters.team_id).first()
        users = users.filter(team__path__startswith=team.path) if team is not None else users.none()
    if filters.active is not None:
        users = users.filter(is_active=filters.active)
    if filters.q:
        users = users.filter(Q(name__icontains=filters.q) | Q(email__icontains=filters.q) | Q(external_id=filters.q))
    return page_build(request=request, queryset=users.order_by("name", "pk"), params=page, item=lambda u: UserOut.of(u, viewer=user))


@router.get("/users/{user_id}", response=with_errors({200: UserOut}), summary="人员详情")
def users_get(request: HttpRequest, user_id: ExternalId) -> Any:
    user = viewer(request)
    return UserOut.of(visible_or_404(user_list_visible_to(user=user), user_id), viewer=user)
