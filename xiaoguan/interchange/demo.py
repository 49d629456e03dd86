"""`demo_load`: the bundled sample world, moved in time so that its as-of day is today, with logins per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import clock_now
from xiaoguan.core.errors import DomainError
from xiaoguan.customers.models import Account
from xiaoguan.interchange.importer import interchange_import
from xiaoguan.interchange.sources import zip_bundle
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team, User

WORLD = Path(__file__).resolve().parent / "worlds" / "world-small.zip"
# samples/README.md: the world holds what a CRM knew on this day.
WORLD_AS_OF = date(2025, 10, 1)
DEMO_PASSWORD = "xiaoguan-demo"  # noqa: S105 - printed to the person who loads the demo; the demo is not for real data
ADMIN_EMAIL = "admin@example.cn"
SUPPORT_ROLES = (Role.FINANCE, Role.LEGAL, Role.COMPLIANCE, Role.ENGINEER)


class DemoRefusedError(DomainError):
    code = "demo_refused"
    default_message = gettext_lazy("数据库不是空的：演示数据只能载入空数据库")


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


def database_is_empty() -> bool:
    """No people and no sales records yet (the migrations' default pipeline does not count)."""
    return not any(model._default_manager.exists() for model in (User, Team, Account, Lead, Opportunity, Activity))


def demo_shift_days(*, today: date) -> int:
    """Whole days, so weekdays and times of day keep their patterns."""
    return (today - WORLD_AS_OF).days


@transaction.atomic
def demo_load(*, today: date) -> list[DemoLogin]:
    """Load the sample world with `today` as its as-of day and return one login per role (admin first)."""
    if not database_is_empty():
        raise DemoRefusedError()
    bundle = zip_bundle(WORLD, label="world-small")
    try:
        report = interchange_import(bundle=bundle, shift_days=demo_shift_days(today=today), kind="demo")
    finally:
        bundle.close()
    if report.errors:
        raise RuntimeError(f"the bundled world does not import: {report.errors[0].as_text()}")
    logins = demo_logins_create()
    demo_lead_engine_setup(now=clock_now())
    return logins


def demo_lead_engine_setup(*, now: datetime) -> None:
    """What a new customer's admin would set up first: one routing rule per region (its reps in turn) and the
    website's lead form, so a lead typed into /capture/ reaches a rep from the first minute of the demo."""
    from xiaoguan.capture.services import web_form_save
    from xiaoguan.routing.services import rule_create

    admin = User.objects.get(email=ADMIN_EMAIL)
    for region in Team.objects.filter(kind=Team.Kind.REGION).order_by("path"):
        if User.objects.filter(team__path__startswith=region.path, role=Role.REP, is_active=True).exists():
            rule_create(by=admin, now=now, values={
                "name": _("%(region)s线索") % {"region": region.name}, "conditions": {"regions": [region.pk]}, "target_team": region,
            })
    web_form_save(by=admin, now=now, values={
        "name": _("官网咨询表单"), "title": _("预约产品演示"), "intro": _("留下联系方式，销售顾问将在 1 小时内与您联系。"),
        "fields": ["name", "company", "phone", "email", "city", "industry", "message"],
    })


def _company() -> Team | None:
    return Team.objects.filter(kind=Team.Kind.COMPANY).order_by("path").first()


def demo_logins_create() -> list[DemoLogin]:
    """An admin, and one person per role with the demo password; roles the world lacks get a new person."""
    password = make_password(DEMO_PASSWORD)  # hashed once: the slow hash is the same for every demo login
    company = _company()
    people: list[tuple[Role, User]] = []
    admin = User(email=ADMIN_EMAIL, name=_("系统管理员"), role=Role.ADMIN, team=company, is_staff=True, is_superuser=True)
    admin.save()
    people.append((Role.ADMIN, admin))
    director = User.objects.filter(role=Role.DIRECTOR, is_active=True).order_by("external_id").first()
    if director is not None:
        people.append((Role.DIRECTOR, director))
    rep = (
        User.objects.filter(role=Role.REP, is_active=True, manager__role=Role.MANAGER, manager__is_active=True)
        .select_related("manager")
        .order_by("manager__external_id", "external_id")
        .first()
    )
    if rep is not None and rep.manager is not None:
        people += [(Role.MANAGER, rep.manager), (Role.REP, rep)]
    for role in SUPPORT_ROLES:
        person = User.objects.filter(role=role, is_active=True).order_by("external_id").first()
        if person is None:
            person = User(email=f"{role}@example.cn", name=str(Role(role).label), role=role, team=company, manager=director)
            person.save()
        people.append((role, person))
    logins = []
    for role, person in people:
        if not person.email:
            person.email = f"{role}@example.cn"
        person.password = password
        person.save(update_fields=["password", "email"])
        logins.append(DemoLogin(role=str(role), email=person.email, password=DEMO_PASSWORD))
    return logins
