"""People and teams as the API shows them."""

from __future__ import annotations

from datetime import date

from ninja import Schema

from xiaoguan.api.pagination import Page
from xiaoguan.api.schemas.common import external_id_of
from xiaoguan.api.schemas.enums import RoleEnum, TeamKind
from xiaoguan.org.models import Team, User
from xiaoguan.org.visibility import phone_for


class TeamOut(Schema):
    id: str
    name: str
    kind: TeamKind
    parent_id: str | None

    @classmethod
    def of(cls, team: Team) -> TeamOut:
        return cls(id=team.external_id, name=team.name, kind=TeamKind(team.kind), parent_id=external_id_of(team.parent))


class UserOut(Schema):
    id: str
    name: str
    email: str | None
    role: RoleEnum
    team_id: str | None
    manager_id: str | None
    hired_on: date | None
    active: bool
    phone: str

    @classmethod
    def of(cls, user: User, *, viewer: User) -> UserOut:
        return cls(
            id=user.external_id, name=user.name, email=user.email, role=RoleEnum(user.role), team_id=external_id_of(user.team),
            manager_id=external_id_of(user.manager), hired_on=user.hired_on, active=user.is_active,
            phone=phone_for(user=viewer, owner_id=user.pk, phone=user.phone),
        )


class MeOut(UserOut):
    team_name: str | None
    language: str

    @classmethod
    def of_me(cls, user: User, *, language: str) -> MeOut:
        base = UserOut.of(user, viewer=user)
        return cls(**base.model_dump(), team_name=user.team.name if user.team else None, language=language)


class TeamPage(Page):
    items: list[TeamOut]


class UserPage(Page):
    items: list[UserOut]
