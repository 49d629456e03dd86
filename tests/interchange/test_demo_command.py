"""`xiaoguan demo` as a command: it refuses a database with data, and prints one login per line."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command

from tests.factories.org import UserFactory
from xiaoguan.core.clock import clock_frozen_at, org_tz
from xiaoguan.interchange.demo import DEMO_PASSWORD, DemoRefusedError, demo_load
from xiaoguan.org.models import Role

pytestmark = pytest.mark.django_db


def test_demo_refuses_a_database_that_is_not_empty():
    UserFactory()
    with pytest.raises(DemoRefusedError):
        demo_load(today=date(2026, 3, 16))
    with pytest.raises(CommandError) as refused:
        call_command("demo", verbosity=0)
    assert refused.value.returncode == 1


@pytest.mark.slow
def test_the_command_prints_role_email_password_lines():
    out = io.StringIO()
    with clock_frozen_at(datetime(2026, 3, 16, 9, tzinfo=org_tz())):
        call_command("demo", stdout=out, verbosity=0)
    lines = [line.split("\t") for line in out.getvalue().splitlines()]
    assert lines[0] == ["admin", "admin@example.cn", DEMO_PASSWORD]
    assert {role for role, _email, _password in lines} == {r.value for r in Role}
