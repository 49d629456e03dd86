"""Editing a contact: owner and line only, the account's history keeps old and new, a refused edit writes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ContactFactory
from xiaoguan.core.errors import NotAllowedError
from xiaoguan.core.history import history_list_for
from xiaoguan.core.models import HistoryEntry
from xiaoguan.customers.models import Contact
from xiaoguan.customers.services import contact_update
from xiaoguan.org.models import Role, Team, User

pytestmark = pytest.mark.django_db


def test_owner_edits_a_contact_and_the_account_history_keeps_old_and_new(clock):  # type: ignore[no-untyped-def]
    # given a rep's account with 王建国, 设备科科长
    contact = ContactFactory(name="王建国", title="设备科科长", phone="13900001111", email="")
    account, rep = contact.account, contact.account.owner
    # when the rep changes his title and e-mail and sends the rest unchanged
    values = {"name": "王建国", "title": "设备部部长", "phone": "13900001111", "email": "wang@hengrui.cn"}
    contact_update(contact=contact, by=rep, now=clock.at("2025-03-05 10:00"), values=values)
    # then the contact is saved, and the account's history has one entry with only what changed
    contact.refresh_from_db()
    assert (contact.title, contact.email) == ("设备部部长", "wang@hengrui.cn")
    entry = history_list_for(subject=account).get()
    assert (entry.action, entry.actor, entry.at) == (HistoryEntry.Action.UPDATED, rep, clock.at("2025-03-05 10:00"))
    assert entry.changes == {"contacts.title": ["设备科科长", "设备部部长"], "contacts.email": ["", "wang@hengrui.cn"]}
    assert entry.note == "修改联系人 王建国"


def test_nothing_changed_writes_no_history(clock):  # type: ignore[no-untyped-def]
    contact = ContactFactory(title="采购经理")
    contact_update(contact=contact, by=contact.account.owner, now=clock.at("2025-03-05 10:00"), values={"title": "采购经理"})
    assert not history_list_for(subject=contact.account).exists()


def test_manager_edits_a_contact_in_the_team_subtree(clock):  # type: ignore[no-untyped-def]
    region = TeamFactory(name="华东大区", kind=Team.Kind.REGION)
    manager = User.objects.get(pk=UserFactory(role=Role.MANAGER, team=region).pk)  # reloaded: team paths are written after save
    contact = ContactFactory(account=AccountFactory(owner=User.objects.get(pk=UserFactory(team=region).pk)))
    contact_update(contact=contact, by=manager, now=clock.at("2025-03-05 10:00"), values={"wechat": "wx_8888"})
    contact.refresh_from_db()
    assert contact.wechat == "wx_8888"
    assert history_list_for(subject=contact.account).get().actor == manager


@pytest.mark.parametrize("role", [Role.REP, Role.FINANCE, Role.LEGAL])
def test_a_colleague_finance_and_legal_may_not_edit(clock, role):  # type: ignore[no-untyped-def]
    contact = ContactFactory(name="王建国")
    other = UserFactory(role=role)
    with pytest.raises(NotAllowedError):
        contact_update(contact=contact, by=other, now=clock.at("2025-03-05 10:00"), values={"name": "改了"})
    assert Contact.objects.get(pk=contact.pk).name == "王建国"
    assert not history_list_for(subject=contact.account).exists()


def test_an_invalid_email_or_blank_name_is_refused_and_nothing_is_written(clock):  # type: ignore[no-untyped-def]
    contact = ContactFactory(name="王建国", email="")
    for values in ({"email": "wang@"}, {"name": ""}):
        with pytest.raises(ValidationError):
            contact_update(contact=contact, by=contact.account.owner, now=clock.at("2025-03-05 10:00"), values=values)
        stored = Contact.objects.get(pk=contact.pk)
        assert (stored.name, stored.email) == ("王建国", "")
    assert not history_list_for(subject=contact.account).exists()


def test_only_the_editable_fields_may_be_changed(clock):  # type: ignore[no-untyped-def]
    contact = ContactFactory()
    other_account = AccountFactory(owner=contact.account.owner)
    with pytest.raises(ValueError, match="not editable"):
        contact_update(contact=contact, by=contact.account.owner, now=clock.at("2025-03-05 10:00"), values={"account": other_account})
    assert Contact.objects.get(pk=contact.pk).account == contact.account
