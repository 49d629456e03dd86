"""The first admin, invitations, password resets, API tokens and the handover of a leaving rep."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, LeadFactory, OpportunityFactory, TaskFactory
from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_list_for
from xiaoguan.org.models import Role, User
from xiaoguan.org.services import api_token_create, api_token_user, owner_handover, user_invite, user_password_reset_request

pytestmark = pytest.mark.django_db


def test_createadmin_makes_a_superuser_that_can_log_in():  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("createadmin", email="boss@example.cn", password="Sales-Quarter-2025", stdout=out, stderr=io.StringIO())
    admin = User.objects.get(email="boss@example.cn")
    assert admin.is_superuser and admin.role == "admin" and out.getvalue().strip() == admin.external_id
    assert Client().login(username="BOSS@example.cn", password="Sales-Quarter-2025")


def test_createadmin_refuses_a_weak_password():  # type: ignore[no-untyped-def]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("createadmin", email="boss@example.cn", password="123", stdout=io.StringIO(), stderr=io.StringIO())
    assert not User.objects.exists()


def test_invite_mails_a_link_that_sets_a_password(clock, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    # given an admin
    admin = UserFactory(role=Role.ADMIN)
    # when they invite a new rep
    with django_capture_on_commit_callbacks(execute=True):
        user = user_invite(by=admin, now=clock.at("2025-03-05 10:00"), email="new.rep@example.cn", name="新同事", team=admin.team)
    # then one mail goes out with a set-password link, and the user cannot log in yet
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.rep@example.cn"]
    assert not user.has_usable_password()
    link = re.search(r"/auth/set-password/(\S+)/(\S+)/", mail.outbox[0].body)
    assert link is not None


def test_only_admins_invite(clock):  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowedError):
        user_invite(by=UserFactory(role=Role.MANAGER), now=clock.at("2025-03-05 10:00"), email="x@example.cn", name="某人")
    assert not User.objects.filter(email="x@example.cn").exists()


def test_reset_request_for_unknown_email_sends_nothing(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        user_password_reset_request(email="nobody@example.cn")
    assert mail.outbox == []


def test_api_token_is_stored_hashed_and_revocable(clock):  # type: ignore[no-untyped-def]
    user = UserFactory()
    token, key = api_token_create(user=user, name="脚本", now=clock.at("2025-03-05 10:00"))
    assert key not in token.key_hash and api_token_user(key=key, now=clock.at("2025-03-05 10:01")) == user
    token.revoked_at = clock.at("2025-03-05 10:02")
    token.save()
    assert api_token_user(key=key, now=clock.at("2025-03-05 10:03")) is None


def test_handover_spreads_a_leavers_records_and_deals_follow_their_account(clock):  # type: ignore[no-untyped-def]
    # given a leaving rep with two accounts (one with a deal), a lead and an open task, and two colleagues
    team = TeamFactory()
    admin = UserFactory(role=Role.ADMIN, team=team)
    leaver, a, b = UserFactory(team=team), UserFactory(team=team), UserFactory(team=team)
    reporter = UserFactory(team=team, manager=leaver)
    acc1, acc2 = AccountFactory(owner=leaver), AccountFactory(owner=leaver)
    deal = OpportunityFactory(account=acc2)
    lead = LeadFactory(owner=leaver)
    task = TaskFactory(owner=leaver, account=acc2)
    # when the admin hands everything over to both colleagues and deactivates the leaver
    result = owner_handover(from_user=leaver, to_users=[a, b], by=admin, now=clock.at("2025-03-05 10:00"), deactivate=True)
    # then nothing is left with the leaver, the deal went with its account, and history names both owners
    for record in (acc1, acc2, deal, lead, task):
        record.refresh_from_db()
    assert {acc1.owner, acc2.owner} == {a, b}
    assert deal.owner == acc2.owner and task.owner == acc2.owner and lead.owner in (a, b)
    assert (result.accounts, result.opportunities, result.leads, result.tasks) == (2, 1, 1, 1)
    entry = history_list_for(subject=deal).first()
    assert entry.action == "handover" and entry.changes["owner"][0] == str(leaver)
    leaver.refresh_from_db()
    reporter.refresh_from_db()
    assert not leaver.is_active and reporter.manager is None


def test_handover_needs_a_receiver(clock):  # type: ignore[no-untyped-def]
    admin, leaver = UserFactory(role=Role.ADMIN), UserFactory()
    AccountFactory(owner=leaver)
    with pytest.raises(ValidationFailedError):
        owner_handover(from_user=leaver, to_users=[leaver], by=admin, now=clock.at("2025-03-05 10:00"))
