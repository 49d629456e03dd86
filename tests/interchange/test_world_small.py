"""The demo world (samples/world-small) through the whole data path: import, re-import, export, compare, as-of."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interchange.conftest import schema_of
from tests.interchange.helpers import captured_writes, csv_rows, row_counts
from xiaoguan.activities.models import Activity
from xiaoguan.activities.selectors import activity_list_visible_to
from xiaoguan.core.asof import known_as_of
from xiaoguan.customers.models import Account, Contact
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.interchange.compare import interchange_compare
from xiaoguan.interchange.exporter import interchange_export
from xiaoguan.interchange.importer import interchange_import
from xiaoguan.interchange.models import ImportRun, PlaceholderAccount, UnresolvedReference
from xiaoguan.interchange.sources import folder_bundle
from xiaoguan.leads.models import Lead
from xiaoguan.leads.selectors import lead_list_visible_to
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.org.models import Role, Team, User
from xiaoguan.receivables.models import Invoice
from xiaoguan.targets.models import Target

pytestmark = pytest.mark.django_db


def test_every_row_of_the_world_is_imported(world_small):
    # given the world imported once for this module; then every file's rows are in the database
    folder = world_small.folder
    placeholders = PlaceholderAccount.objects.count()
    assert User.objects.count() == csv_rows(folder / "users.csv")
    assert Team.objects.count() == csv_rows(folder / "teams.csv")
    assert Account.objects.count() == csv_rows(folder / "accounts.csv") + placeholders
    assert Contact.objects.count() == csv_rows(folder / "contacts.csv")
    assert Opportunity.objects.count() == csv_rows(folder / "opportunities.csv")
    assert Lead.objects.count() == csv_rows(folder / "leads.csv")
    assert StageHistory.objects.count() == csv_rows(folder / "stage_history.csv")
    assert Activity.objects.count() == csv_rows(folder / "activities.csv")
    assert TouchEvent.objects.count() == csv_rows(folder / "touch_events.csv")
    assert Invoice.objects.count() == csv_rows(folder / "invoices.csv")
    assert Target.objects.count() == csv_rows(folder / "targets.csv")
    assert ImportRun.objects.count() == 1


def test_a_bulk_load_leaves_every_index_and_key_as_the_migrations_made_them(world_small):
    # Big empty tables are loaded with their indexes (and on PostgreSQL their foreign keys) dropped and rebuilt.
    assert world_small.report.tables["activities"].rows > 20_000
    assert schema_of() == world_small.schema_before


def test_imported_people_cannot_log_in_until_invited(world_small):
    assert not any(u.has_usable_password() for u in User.objects.all())


def test_team_subtrees_work_after_a_bulk_load(world_small):
    hq = Team.objects.get(external_id="T-HQ")
    east = Team.objects.get(external_id="R-EAST")
    assert hq.path == f"/{hq.pk}/"
    assert east.path == f"/{hq.pk}/{east.pk}/"
    manager = User.objects.get(external_id="U-MEAST")
    assert lead_list_visible_to(user=manager).count() == Lead.objects.filter(owner__team=east).count() > 0


def test_import_keeps_the_source_ids_and_values(world_small):
    # accounts.csv line 2: A000001,广州瑞通人民医院,hospital,医疗,R-SOUTH,广州,200-999,U-R000007,2024-10-11T00:47:01+08:00,200000,60
    account = Account.objects.get(external_id="A000001")
    assert (account.name, account.kind, account.region.external_id, account.owner.external_id) == (
        "广州瑞通人民医院",
        "hospital",
        "R-SOUTH",
        "U-R000007",
    )
    assert account.created_at.isoformat() == "2024-10-10T16:47:01+00:00"
    assert account.credit_limit == 200000
    target = Target.objects.get(
        external_id=Target.key_for(period="2025-Q4", scope_kind="user", scope_id="U-R000001", product_line="")
    )
    assert target.user.external_id == "U-R000001"


def test_the_report_lists_each_row_whose_times_disagree(world_small):
    warnings = world_small.report.warnings
    late = [w for w in warnings if w.file == "activities.csv" and w.column == "recorded_at"]
    early = [w for w in warnings if w.file == "leads.csv" and w.column == "first_contact_at"]
    assert late and early
    problem = early[0]
    assert problem.line > 1 and problem.value and problem.reason == "首次联系时间早于创建时间"
    assert not world_small.report.errors


def test_activities_naming_records_nobody_has_are_kept_with_their_ids(world_small):
    # The sample holds invented follow-ups naming customers and deals that do not exist (truth/fake_activities.csv).
    kept = [w for w in world_small.report.warnings if "按原编号保留" in w.reason]
    assert kept
    activity = Activity.objects.get(external_id="ACT047157")  # names account A001728, which accounts.csv lacks
    assert activity.account is not None and activity.account.external_id == "A001728"
    assert PlaceholderAccount.objects.filter(account=activity.account).exists()
    assert UnresolvedReference.objects.filter(column="opportunity_id", external_id="O002278").exists()


def test_importing_the_same_folder_again_writes_nothing(world_small):
    before = row_counts()
    with captured_writes() as writes:
        report = interchange_import(bundle=folder_bundle(world_small.folder))
    assert writes == []
    assert report.changed == 0 and not report.written
    assert row_counts() == before


def test_export_of_the_imported_world_equals_the_world(world_small, tmp_path: Path):
    interchange_export(folder=tmp_path / "out")
    assert interchange_compare(left=world_small.folder, right=tmp_path / "out") == []
    exported = (tmp_path / "out" / "activities.csv").read_bytes()
    assert not exported.startswith(b"\xef\xbb\xbf") and b"\r\n" not in exported


def test_as_of_the_worlds_day_everything_is_known_and_earlier_less(world_small, clock):
    director = User.objects.get(role=Role.DIRECTOR)
    clock.set("2025-10-01 00:00")
    assert known_as_of(lead_list_visible_to(user=director)).count() == Lead.objects.count()
    assert known_as_of(activity_list_visible_to(user=director)).count() == Activity.objects.count()
    for model in (Account, Opportunity, StageHistory, TouchEvent, Invoice):
        assert known_as_of(model.objects.all()).count() == model.objects.count(), model
    clock.set("2025-04-01 00:00")
    assert 0 < known_as_of(lead_list_visible_to(user=director)).count() < Lead.objects.count()
    assert 0 < known_as_of(activity_list_visible_to(user=director)).count() < Activity.objects.count()


def test_imported_rows_get_their_dedupe_keys(world_small):
    # given the world imported (rows go in as tuples, not through save()); then each lead, account and contact
    # carries the key a new capture looks it up by
    from xiaoguan.core.normalize import company_key, phone_key

    lead = Lead.objects.exclude(phone="").order_by("pk").first()
    assert lead is not None and lead.phone_key == phone_key(lead.phone) != ""
    assert Lead.objects.exclude(phone="").filter(phone_key="").count() == Lead.objects.exclude(phone="").exclude(phone__regex=r"\d{7}").count()
    account = Account.objects.exclude(name="").order_by("pk").first()
    assert account is not None and account.name_key == company_key(account.name) != ""
    # placeholder accounts (activities pointing at customers that exist nowhere) keep no key: nothing should match them
    assert not Account.objects.exclude(name="").exclude(pk__in=PlaceholderAccount.objects.values("account")).filter(name_key="").exists()
    contact = Contact.objects.exclude(phone="").order_by("pk").first()
    assert contact is None or contact.phone_key == phone_key(contact.phone)


def test_the_import_learns_each_provinces_region_from_the_records(world_small):
    # given world-small imported: its 南昌 leads belong to R-CENTRAL (华中), its 厦门 leads to R-SOUTH (华南)
    from xiaoguan.geo.selectors import region_for_city

    central = Team.objects.get(external_id="R-CENTRAL")
    south = Team.objects.get(external_id="R-SOUTH")
    # then a new lead typed "南昌市" or "江西省九江市" is 华中's, and 厦门 is 华南's, as the data says
    assert region_for_city("南昌市") == central.pk
    assert region_for_city("江西省九江市") == central.pk
    assert region_for_city("厦门") == south.pk
