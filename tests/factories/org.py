from __future__ import annotations

import factory

from xiaoguan.org.models import Role, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"团队{n}")
    kind = Team.Kind.REGION
    parent = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.REP
    team = factory.SubFactory(TeamFactory)
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            obj.save()
