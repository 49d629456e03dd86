"""`xiaoguan demo`: the bundled world, moved so that its as-of day is today, with one login per role."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Max

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import org_tz
from xiaoguan.interchange.demo import DEMO_PASSWORD, WORLD, DemoLogin, demo_load
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import User
from xiaoguan.targets.models import Target

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TODAY = date(2026, 3, 16)  # a Monday; the world's as-of day, 2025-10-01, was a Wednesday


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[list[DemoLogin]]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(today=TODAY)
        transaction.set_rollback(True)


def test_the_world_ends_the_day_before_today(demo):
    last = Activity.objects.aggregate(last=Max("recorded_at"))["last"].astimezone(org_tz())
    assert last.date() == TODAY - timedelta(days=1)
    # shifted by whole days: the time of day of every record is the one the world had
    assert last.time().isoformat() == "22:25:55"  # world-small's last activity: 2025-09-30T22:25:55+08:00
    assert Lead.objects.aggregate(last=Max("created_at"))["last"].astimezone(org_tz()).date() == TODAY - timedelta(days=1)


def test_targets_move_to_the_period_holding_today(demo):
    assert set(Target.objects.values_list("period", flat=True)) == {"2026-Q1"}


def test_one_login_per_role_and_each_works(demo, settings):
    # the module's demo was loaded before the suite's fast test hasher was switched on
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert [login.role for login in demo] == ["admin", "director", "manager", "rep", "finance", "legal", "compliance", "engineer"]
    for login in demo:
        user = authenticate(email=login.email, password=DEMO_PASSWORD)
        assert user is not None and user.role == login.role, login
    by_role = {login.role: User.objects.get(email=login.email) for login in demo}
    assert by_role["rep"].manager == by_role["manager"]
    assert by_role["admin"].is_superuser and by_role["admin"].email == "admin@example.cn"


def test_everyone_else_still_needs_an_invitation(demo):
    logins = {login.email for login in demo}
    assert not any(u.has_usable_password() for u in User.objects.exclude(email__in=logins))


def test_the_bundled_world_holds_no_truth():
    with zipfile.ZipFile(WORLD) as archive:
        assert not [name for name in archive.namelist() if "truth" in name]


def test_the_demo_routes_a_new_lead_from_the_first_minute(demo, db):
    # given the demo loaded: a rule per region and the website's form
    from xiaoguan.capture.models import WebForm
    from xiaoguan.capture.services import capture_lead
    from xiaoguan.core.clock import clock_now
    from xiaoguan.leads.models import LeadAssignment

    # when a lead from 苏州 arrives on the demo's website form
    form = WebForm.objects.get()
    result = capture_lead(source="web_form", fields={"name": "顾先生", "phone": "13912345678", "city": "苏州"}, raw={}, now=clock_now(), web_form=form)
    # then the 华东 rule gave it to a 华东 rep, and said so
    lead = result.lead
    assert lead.owner is not None and lead.owner.team.region().external_id == "R-EAST"
    assert "华东" in LeadAssignment.objects.get(lead=lead).reason
