"""`interchange_import`: load a folder of the interchange format (spec/interchange.md) into the database.

Two streaming passes over the files. The checking pass parses and checks every row, keeping only the ids it has
seen, and collects every problem (file, line, column, value, reason). The writing pass parses again and writes in
batches inside one transaction, comparing with what is stored so that an unchanged row costs a read and no write.
Any error means nothing is written: by default the writing pass only starts once the check is clean; with
`parallel` (big folders, two cores) both run at once in two processes and the transaction commits only when the
check is clean, so the guarantee comes from the transaction instead of the order.

An import is history: it calls no services, so no routing, dedupe, caps, gates, SLAs, notifications or timers
happen, and no per-row history entries are made (one `ImportRun` records the load).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from multiprocessing.connection import Connection
from typing import Any, ClassVar

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import clock_now
from xiaoguan.customers.models import Account, Contact
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.evidence.services import evidence_scan_after_import
from xiaoguan.geo.services import regions_learn
from xiaoguan.interchange.keys import KEY_FIELDS, dedupe_keys_refresh
from xiaoguan.interchange.models import ImportRun, PlaceholderAccount, UnresolvedReference
from xiaoguan.interchange.progress import Progress, Stream
from xiaoguan.interchange.report import ImportReport, TableCounts
from xiaoguan.interchange.schema import TABLES, Column, Table
from xiaoguan.interchange.sources import Bundle, Rows, SourceError, TableSource, ZipBundle
from xiaoguan.interchange.values import CellError, period_shift
from xiaoguan.interchange.writer import KEEP, TableWriter, secondary_indexes_deferred
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import DEFAULT_STAGES, Opportunity, Pipeline, Stage, StageHistory
from xiaoguan.org.models import Team, User, team_paths_rebuild
from xiaoguan.receivables.models import Invoice
from xiaoguan.targets.models import Target

BATCH_ROWS = 5000
# From a file this big (~20k rows) into an empty table, indexes are built once after the load, not row by row.
BULK_LOAD_BYTES = 2_000_000
# Tables whose written ids the writing pass keeps (placeholders replaced, kept-aside references resolved).
KEYS_KEPT = frozenset({"accounts", "activities", "touch_events"})
INVALID: Any = object()

# Activities and touch events are evidence of what someone claims happened, not structure. A claim about a
# customer or deal this database does not hold is kept and flagged (a warning), not refused: real exports have
# them, and an invented follow-up naming a deal that never existed is exactly what authenticity checks look for.
EVIDENCE_TABLES = frozenset({"activities", "touch_events"})
LENIENT_REFS = frozenset({"accounts", "opportunities", "leads", "contacts"})

# The models whose external ids other tables refer to.
REFERENCED: dict[str, type[models.Model]] = {
    "teams": Team,
    "users": User,
    "accounts": Account,
    "contacts": Contact,
    "opportunities": Opportunity,
    "leads": Lead,
}


def _what(table: str) -> str:
    """The thing a reference points at, for messages ("引用的客户不存在")."""
    names = {
        "teams": _("团队"),
        "users": _("用户"),
        "accounts": _("客户"),
        "contacts": _("联系人"),
        "opportunities": _("商机"),
        "leads": _("线索"),
    }
    return names.get(table, table)


class UnwritableRowError(RuntimeError):
    """A row the writing pass cannot store. The checking pass reports why; sequentially, the file changed meanwhile."""


@dataclass
class Layout:
    """Where each column of a table sits in one file, and how to read it."""

    table: Table
    label: str
    width: int
    plan: list[tuple[str, int, Callable[[str], Any], bool, Any, Callable[[Any], Any] | None]]
    refs: list[tuple[str, str]]
    pad_short_rows: bool


def _shifter(column: Column, days: int) -> Callable[[Any], Any] | None:
    if not days:
        return None
    delta = timedelta(days=days)
    if column.kind in ("datetime", "date"):
        return lambda value: value + delta
    if column.kind == "period":
        return lambda value: period_shift(value, days=days)
    return None


class Context:
    """What one import knows while it runs: ids seen, ids stored, pipelines, external id → primary key maps."""

    def __init__(self, *, report: ImportReport, now: datetime, shift_days: int, pipelines_in_folder: bool) -> None:
        self.report = report
        self.now = now
        self.shift_days = shift_days
        self.pipelines_in_folder = pipelines_in_folder
        self.folder_ids: dict[str, set[str]] = defaultdict(set)
        self._db_ids: dict[str, set[str]] = {}
        self._pk_maps: dict[str, dict[str, int]] = {}
        self.folder_stages: dict[str, dict[str, tuple[str, int, bool]]] = {}
        self.folder_pipeline_names: dict[str, str] = {}
        self.opp_pipeline: dict[str, str] = {}
        self._db_opp_pipeline: dict[str, str] | None = None
        self._db_pipelines: dict[str, set[str]] | None = None
        self._stage_pks: dict[tuple[str, str], int] | None = None
        self._pipeline_pks: dict[str, int] | None = None
        self.unresolved: list[tuple[str, str, str]] = []
        self.placeholders_created: dict[str, tuple[int, datetime]] = {}
        self._db_emails: dict[str, str] | None = None

    # -- pass 1: what exists --------------------------------------------------------------------------

    def db_ids(self, table: str) -> set[str]:
        if table not in self._db_ids:
            stored = REFERENCED[table]._default_manager.all()
            if table == "accounts":
                stored = stored.exclude(pk__in=PlaceholderAccount.objects.values("account_id"))
            self._db_ids[table] = set(stored.values_list("external_id", flat=True))
        return self._db_ids[table]

    def db_user_emails(self) -> dict[str, str]:
        """Lower-cased e-mail → external id of the people already stored (an e-mail logs one person in)."""
        if self._db_emails is None:
            stored = User.objects.exclude(email=None).values_list("email", "external_id")
            self._db_emails = {(e or "").lower(): u for e, u in stored}
        return self._db_emails

    def preload(self) -> None:
        """Read everything the check needs from the database now, so it never reads again.

        In a parallel import the writer drops indexes of empty tables, which on PostgreSQL locks them until commit;
        a checker reading one of those tables later would wait for a commit that waits for the checker.
        """
        for table in REFERENCED:
            self.db_ids(table)
        self.db_pipelines()
        self.pipeline_of_opportunity("")
        self.db_user_emails()

    def known(self, table: str, external_id: str) -> bool:
        return external_id in self.folder_ids[table] or external_id in self.db_ids(table)

    def db_pipelines(self) -> dict[str, set[str]]:
        if self._db_pipelines is None:
            pipelines: dict[str, set[str]] = {key: set() for key in Pipeline.objects.values_list("external_id", flat=True)}
            for key, stage in Stage.objects.values_list("pipeline__external_id", "key"):
                pipelines[key].add(stage)
            self._db_pipelines = pipelines
        return self._db_pipelines

    def pipeline_stage_keys(self, pipeline: str) -> set[str] | None:
        """The stage keys a pipeline will have after the import; None when the pipeline is unknown."""
        stored = self.db_pipelines().get(pipeline)
        if pipeline in self.folder_stages:
            return set(self.folder_stages[pipeline]) | (stored or set())
        if stored is not None:
            return stored
        if not self.pipelines_in_folder:
            # spec: without pipelines.csv every pipeline key used gets the default stages.
            return {key for key, _name, _won in DEFAULT_STAGES}
        return None

    def pipeline_of_opportunity(self, opportunity: str) -> str | None:
        if opportunity in self.opp_pipeline:
            return self.opp_pipeline[opportunity]
        if self._db_opp_pipeline is None:
            self._db_opp_pipeline = dict(Opportunity.objects.values_list("external_id", "pipeline__external_id"))
        return self._db_opp_pipeline.get(opportunity)

    # -- pass 2: primary keys -------------------------------------------------------------------------

    def pks(self, table: str) -> dict[str, int]:
        """external id → primary key of a referenced table; read once, after that table has been written."""
        if table not in self._pk_maps:
            self._pk_maps[table] = dict(REFERENCED[table]._default_manager.values_list("external_id", "pk"))
        return self._pk_maps[table]

    def forget_pks(self, table: str) -> None:
        self._pk_maps.pop(table, None)

    def ref(self, table: str, external_id: str | None) -> int | None:
        return None if external_id is None else self.pks(table)[external_id]

    def evidence_ref(self, table: str, external_id: str | None, *, row: str, column: str) -> int | None:
        """A reference from an evidence row; one the database cannot hold is kept aside as written."""
        if external_id is None:
            return None
        pk = self.pks(table).get(external_id)
        if pk is None:
            self.unresolved.append((row, column, external_id))
        return pk

    def evidence_account(self, external_id: str | None, *, seen_at: datetime) -> int | None:
        """An account named by an evidence row; one nobody has becomes a placeholder (see PlaceholderAccount)."""
        if external_id is None:
            return None
        pks = self.pks("accounts")
        pk = pks.get(external_id)
        if pk is None:
            account = Account(external_id=external_id, name=_("未知客户 %(id)s") % {"id": external_id}, created_at=seen_at)
            Account.objects.bulk_create([account])
            pk = pks[external_id] = Account.objects.get(external_id=external_id).pk
            PlaceholderAccount.objects.create(account_id=pk)
            self.placeholders_created[external_id] = (pk, seen_at)
        elif external_id in self.placeholders_created and seen_at < self.placeholders_created[external_id][1]:
            self.placeholders_created[external_id] = (pk, seen_at)
        return pk

    def placeholders_settle(self) -> None:
        """A placeholder made this time dates from the earliest row naming it (rows come in file order)."""
        for pk, first_seen in self.placeholders_created.values():
            Account.objects.filter(pk=pk, created_at__gt=first_seen).update(created_at=first_seen)
        self.placeholders_created.clear()

    def pipeline_pk(self, pipeline: str) -> int:
        if self._pipeline_pks is None:
            self._pipeline_pks = dict(Pipeline.objects.values_list("external_id", "pk"))
        if pipeline not in self._pipeline_pks and not self.pipelines_in_folder:
            # spec: without pipelines.csv every pipeline key used gets the default stages.
            stages = {k: (n, i, w) for i, (k, n, w) in enumerate(DEFAULT_STAGES, start=1)}
            self._pipeline_pks[pipeline] = pipeline_set(key=pipeline, name=pipeline, stages=stages, counts=TableCounts()).pk
            self._stage_pks = None
        return self._pipeline_pks[pipeline]

    def stage_pk(self, pipeline: str, stage: str) -> int:
        if self._stage_pks is None:
            self._stage_pks = {(p, k): pk for pk, p, k in Stage.objects.values_list("pk", "pipeline__external_id", "key")}
        return self._stage_pks[(pipeline, stage)]


# -- tables -------------------------------------------------------------------------------------------


class Loader:
    """How one table of the format is checked (pass 1) and stored (pass 2)."""

    table_name: ClassVar[str]
    model: ClassVar[type[models.Model]]
    attnames: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.table = next(t for t in TABLES if t.name == self.table_name)

    def key(self, values: dict[str, Any]) -> Any:
        parts = tuple(values[name] for name in self.table.key)
        if any(p is INVALID or p is None for p in parts):
            return None
        return parts[0] if len(parts) == 1 else parts

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        """Checks that need more than one cell. Report through `ctx.report`."""

    def remember(self, values: dict[str, Any], *, line: int, ctx: Context) -> None:
        """What later tables need to know about this row in pass 1."""

    def finish_check(self, *, file: str, ctx: Context) -> None:
        """Checks that need the whole file (references within the same table)."""

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        raise NotImplementedError

    def writer(self, ctx: Context) -> TableWriter:
        return TableWriter(model=self.model, attnames=self.attnames)

    def bind(self, ctx: Context) -> None:
        """Look up once what `row` needs for every row (the big tables' id maps)."""

    def load(
        self, rows: Iterator[dict[str, Any]], *, ctx: Context, size_bytes: int, progress: Callable[[int], None]
    ) -> TableCounts:
        """Write the rows; they have been checked (or are being checked beside this, see `interchange_import`)."""
        writer = self.writer(ctx)
        self.bind(ctx)
        bulk = writer.empty_at_start and size_bytes >= BULK_LOAD_BYTES
        keys = ctx.folder_ids[self.table_name] if self.table_name in KEYS_KEPT else None
        count = 0
        with secondary_indexes_deferred(self.model) if bulk else nullcontext():
            batch: list[tuple[Any, ...]] = []
            for values in rows:
                row = self.row(values, ctx)
                batch.append(row)
                if keys is not None:
                    keys.add(row[0])
                if len(batch) >= BATCH_ROWS:
                    writer.write(batch)
                    progress(len(batch))
                    count += len(batch)
                    batch = []
            writer.write(batch)
            progress(len(batch))
            count += len(batch)
        self.after_write(writer, ctx)
        return TableCounts(
            rows=count, created=writer.created, updated=writer.updated, unchanged=count - writer.created - writer.updated
        )

    def after_write(self, writer: TableWriter, ctx: Context) -> None:
        if self.table_name in REFERENCED:
            ctx.forget_pks(self.table_name)
        if self.model in KEY_FIELDS and (writer.created or writer.updated):
            dedupe_keys_refresh(self.model)


def _text(value: str | None) -> str:
    return value or ""


class PipelinesLoader(Loader):
    table_name = "pipelines"
    model = Pipeline

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        pipeline, stage, position = values["pipeline"], values["stage"], values["position"]
        if INVALID in (pipeline, stage, position) or None in (pipeline, stage, position):
            return
        taken = {pos for _name, pos, _won in ctx.folder_stages.get(pipeline, {}).values()}
        if position in taken:
            ctx.report.error(file, line, "position", position, _("同一流程中顺序重复"))

    def remember(self, values: dict[str, Any], *, line: int, ctx: Context) -> None:
        pipeline, stage = values["pipeline"], values["stage"]
        if pipeline in (None, INVALID) or stage in (None, INVALID):
            return
        ctx.folder_pipeline_names.setdefault(pipeline, values["name"] or pipeline)
        ctx.folder_stages.setdefault(pipeline, {})[stage] = (values["stage_name"], values["position"], bool(values["won"]))

    def load(
        self, rows: Iterator[dict[str, Any]], *, ctx: Context, size_bytes: int, progress: Callable[[int], None]
    ) -> TableCounts:
        counts = TableCounts()
        desired: dict[str, dict[str, tuple[str, int, bool]]] = {}
        names: dict[str, str] = {}
        for values in rows:
            names.setdefault(values["pipeline"], values["name"])
            desired.setdefault(values["pipeline"], {})[values["stage"]] = (
                values["stage_name"],
                values["position"],
                bool(values["won"]),
            )
            counts.rows += 1
        for key, stages in desired.items():
            pipeline_set(key=key, name=names[key], stages=stages, counts=counts)
        progress(counts.rows)
        return counts


def pipeline_set(*, key: str, name: str, stages: dict[str, tuple[str, int, bool]], counts: TableCounts) -> Pipeline:
    """Make a pipeline have these stages (key → name, position, won). Stages not named keep their place after them."""
    pipeline = Pipeline.objects.filter(external_id=key).first()
    if pipeline is None:
        pipeline = Pipeline.objects.create(external_id=key, name=name)
    elif pipeline.name != name:
        Pipeline.objects.filter(pk=pipeline.pk).update(name=name)
    stored = {s.key: s for s in Stage.objects.filter(pipeline=pipeline).order_by("position")}
    final = dict(stages)
    after = max((pos for _n, pos, _w in stages.values()), default=0)
    for stage in stored.values():
        if stage.key not in final:
            after += 1
            final[stage.key] = (stage.name, after, stage.is_won)
    changed = [k for k, s in stored.items() if (s.name, s.position, s.is_won) != final[k]]
    if any(stored[k].position != final[k][1] for k in changed):
        # (pipeline, position) is unique: park the stages that move out of the way first.
        for i, k in enumerate(changed):
            Stage.objects.filter(pk=stored[k].pk).update(position=30000 + i)
    for k in changed:
        stage_name, position, won = final[k]
        Stage.objects.filter(pk=stored[k].pk).update(name=stage_name, position=position, is_won=won)
        counts.updated += 1
    new = [Stage(pipeline=pipeline, key=k, name=n, position=p, is_won=w) for k, (n, p, w) in final.items() if k not in stored]
    Stage.objects.bulk_create(new)
    counts.created += len(new)
    counts.unchanged += sum(1 for k in stages if k in stored and k not in changed)
    return pipeline


class TeamsLoader(Loader):
    table_name = "teams"
    model = Team
    attnames = ("external_id", "name", "kind")

    def __init__(self) -> None:
        super().__init__()
        self.parents: dict[str, str | None] = {}
        self.lines: dict[str, int] = {}

    def remember(self, values: dict[str, Any], *, line: int, ctx: Context) -> None:
        team = values["team_id"]
        if team not in (None, INVALID) and values["parent_id"] is not INVALID:
            self.parents[team] = values["parent_id"]
            self.lines[team] = line

    def finish_check(self, *, file: str, ctx: Context) -> None:
        for team, parent in self.parents.items():
            seen = {team}
            node = parent
            while node is not None and node in self.parents:
                if node in seen:
                    ctx.report.error(file, self.lines[team], "parent_id", parent, _("上级团队形成循环"))
                    break
                seen.add(node)
                node = self.parents[node]

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        self.parents[values["team_id"]] = values["parent_id"]
        return (values["team_id"], values["name"], values["kind"])

    def writer(self, ctx: Context) -> TableWriter:
        return TableWriter(model=Team, attnames=self.attnames, track_created=True)

    def after_write(self, writer: TableWriter, ctx: Context) -> None:
        ctx.forget_pks("teams")
        pks = ctx.pks("teams")
        stored = dict(Team.objects.values_list("external_id", "parent_id"))
        for team, parent in self.parents.items():
            wanted = None if parent is None else pks[parent]
            if stored[team] != wanted:
                Team.objects.filter(pk=pks[team]).update(parent_id=wanted)
                if writer.created_keys is not None and team not in writer.created_keys:
                    writer.updated += 1
        # Bulk rows bypass Team.save, which keeps the subtree paths; rebuild them once (writes only what moved).
        team_paths_rebuild()


class UsersLoader(Loader):
    table_name = "users"
    model = User
    attnames = ("external_id", "name", "email", "role", "team_id", "hired_on", "is_active")

    def __init__(self) -> None:
        super().__init__()
        self.managers: dict[str, str | None] = {}
        self.emails: dict[str, str] = {}

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        email, user = values["email"], values["user_id"]
        if email in (None, INVALID) or user in (None, INVALID):
            return
        folded = email.strip().lower()
        if folded in self.emails:
            ctx.report.error(file, line, "email", email, _("邮箱与用户 %(user)s 重复") % {"user": self.emails[folded]})
            return
        self.emails[folded] = user
        owner = ctx.db_user_emails().get(folded)
        if owner is not None and owner != user:
            ctx.report.error(file, line, "email", email, _("邮箱已被库中用户 %(user)s 使用") % {"user": owner})

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        self.managers[values["user_id"]] = values["manager_id"]
        email = values["email"].strip() if values["email"] else None
        return (
            values["user_id"],
            values["name"],
            email,
            values["role"],
            ctx.ref("teams", values["team_id"]),
            values["hired_on"],
            values["active"],
        )

    def writer(self, ctx: Context) -> TableWriter:
        # Imported people cannot log in until they are invited and choose a password.
        return TableWriter(
            model=User, attnames=self.attnames, insert_defaults={"password": lambda: make_password(None)}, track_created=True
        )

    def after_write(self, writer: TableWriter, ctx: Context) -> None:
        ctx.forget_pks("users")
        pks = ctx.pks("users")
        stored = dict(User.objects.values_list("external_id", "manager_id"))
        for user, manager in self.managers.items():
            wanted = None if manager is None else pks[manager]
            if stored[user] != wanted:
                User.objects.filter(pk=pks[user]).update(manager_id=wanted)
                if writer.created_keys is not None and user not in writer.created_keys:
                    writer.updated += 1


class AccountsLoader(Loader):
    table_name = "accounts"
    model = Account
    attnames = (
        "external_id",
        "name",
        "kind",
        "industry",
        "region_id",
        "city",
        "size",
        "owner_id",
        "created_at",
        "credit_limit",
        "payment_terms_days",
        "grade",
    )

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        if values["created_at"] is None:
            ctx.report.warning(file, line, "created_at", "", _("创建时间为空：新客户记为导入时间，已有客户保留原值"))

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        return (
            values["account_id"],
            values["name"],
            _text(values["kind"]),
            _text(values["industry"]),
            ctx.ref("teams", values["region"]),
            _text(values["city"]),
            _text(values["size"]),
            ctx.ref("users", values["owner_id"]),
            KEEP if values["created_at"] is None else values["created_at"],
            values["credit_limit"],
            values["payment_terms_days"],
            _text(values["grade"]),
        )

    def writer(self, ctx: Context) -> TableWriter:
        return TableWriter(model=Account, attnames=self.attnames, keep_possible=True, keep_fallback=ctx.now)

    def after_write(self, writer: TableWriter, ctx: Context) -> None:
        super().after_write(writer, ctx)
        # The real account has arrived: it is no longer a placeholder.
        placeholders = dict(PlaceholderAccount.objects.values_list("account__external_id", "pk"))
        arrived = [pk for external_id, pk in placeholders.items() if external_id in ctx.folder_ids["accounts"]]
        if arrived:
            PlaceholderAccount.objects.filter(pk__in=arrived).delete()


class ContactsLoader(Loader):
    table_name = "contacts"
    model = Contact
    attnames = ("external_id", "account_id", "name", "title", "role_in_decision", "phone", "email", "wechat")

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        return (
            values["contact_id"],
            ctx.ref("accounts", values["account_id"]),
            values["name"],
            _text(values["title"]),
            _text(values["role_in_decision"]),
            _text(values["phone"]),
            _text(values["email"]),
            _text(values["wechat"]),
        )


class OpportunitiesLoader(Loader):
    table_name = "opportunities"
    model = Opportunity
    attnames = (
        "external_id", "account_id", "owner_id", "pipeline_id", "stage_id", "product_line", "name", "amount", "currency",
        "created_at", "expected_close", "status", "closed_at", "lost_reason", "competitor",
    )  # fmt: skip

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        pipeline, stage = values["pipeline"], values["stage"]
        if pipeline not in (None, INVALID):
            keys = ctx.pipeline_stage_keys(pipeline)
            if keys is None:
                ctx.report.error(file, line, "pipeline", pipeline, _("销售流程不存在（pipelines.csv 与库中都没有）"))
            elif stage not in (None, INVALID) and stage not in keys:
                ctx.report.error(file, line, "stage", stage, _("销售流程 %(pipeline)s 没有这个阶段") % {"pipeline": pipeline})
        created, closed = values["created_at"], values["closed_at"]
        if isinstance(created, datetime) and isinstance(closed, datetime) and closed < created:
            ctx.report.warning(file, line, "closed_at", closed.isoformat(), _("关闭时间早于创建时间"))

    def remember(self, values: dict[str, Any], *, line: int, ctx: Context) -> None:
        if values["opportunity_id"] not in (None, INVALID) and values["pipeline"] not in (None, INVALID):
            ctx.opp_pipeline[values["opportunity_id"]] = values["pipeline"]

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        pipeline = values["pipeline"]
        ctx.opp_pipeline[values["opportunity_id"]] = pipeline
        return (
            values["opportunity_id"],
            ctx.ref("accounts", values["account_id"]),
            ctx.ref("users", values["owner_id"]),
            ctx.pipeline_pk(pipeline),
            ctx.stage_pk(pipeline, values["stage"]),
            _text(values["product_line"]),
            _text(values["name"]),
            values["amount"],
            values["currency"],
            values["created_at"],
            values["expected_close"],
            values["status"],
            values["closed_at"],
            _text(values["lost_reason"]),
            _text(values["competitor"]),
        )


class LeadsLoader(Loader):
    table_name = "leads"
    model = Lead
    attnames = (
        "external_id", "created_at", "source", "name", "company", "phone", "email", "industry", "region_id", "city",
        "company_size", "budget", "status", "owner_id", "assigned_at", "first_contact_at", "converted_account_id",
        "converted_opportunity_id",
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.early = (("assigned_at", _("分配时间早于创建时间")), ("first_contact_at", _("首次联系时间早于创建时间")))

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        created = values["created_at"]
        if not isinstance(created, datetime):
            return
        for column, reason in self.early:
            moment = values[column]
            if isinstance(moment, datetime) and moment < created:
                ctx.report.warning(file, line, column, moment.isoformat(), reason)

    def bind(self, ctx: Context) -> None:
        self.teams, self.users = ctx.pks("teams"), ctx.pks("users")
        self.accounts, self.opportunities = ctx.pks("accounts"), ctx.pks("opportunities")

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        region, owner = values["region"], values["owner_id"]
        account, opportunity = values["converted_account_id"], values["converted_opportunity_id"]
        return (
            values["lead_id"],
            values["created_at"],
            values["source"],
            values["name"] or "",
            values["company"] or "",
            values["phone"] or "",
            values["email"] or "",
            values["industry"] or "",
            None if region is None else self.teams[region],
            values["city"] or "",
            values["company_size"] or "",
            values["budget"],
            values["status"],
            None if owner is None else self.users[owner],
            values["assigned_at"],
            values["first_contact_at"],
            None if account is None else self.accounts[account],
            None if opportunity is None else self.opportunities[opportunity],
        )


class StageHistoryLoader(Loader):
    table_name = "stage_history"
    model = StageHistory
    attnames = ("opportunity_id", "stage_id", "entered_at", "changed_by_id")

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        opportunity, stage = values["opportunity_id"], values["stage"]
        if opportunity in (None, INVALID) or stage in (None, INVALID):
            return
        pipeline = ctx.pipeline_of_opportunity(opportunity)
        if pipeline is None:
            return
        keys = ctx.pipeline_stage_keys(pipeline)
        if keys is not None and stage not in keys:
            ctx.report.error(
                file, line, "stage", stage, _("商机所在的销售流程 %(pipeline)s 没有这个阶段") % {"pipeline": pipeline}
            )

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        opportunity = values["opportunity_id"]
        pipeline = ctx.pipeline_of_opportunity(opportunity)
        if pipeline is None:
            raise UnwritableRowError(f"stage_history: {opportunity}")
        return (
            ctx.ref("opportunities", opportunity),
            ctx.stage_pk(pipeline, values["stage"]),
            values["entered_at"],
            ctx.ref("users", values["changed_by"]),
        )

    def writer(self, ctx: Context) -> TableWriter:
        return TableWriter(model=StageHistory, attnames=self.attnames, key=(0, 1, 2))


class ActivitiesLoader(Loader):
    table_name = "activities"
    model = Activity
    attnames = (
        "external_id",
        "owner_id",
        "account_id",
        "opportunity_id",
        "lead_id",
        "kind",
        "occurred_at",
        "recorded_at",
        "duration_seconds",
        "content",
        "lat",
        "lng",
    )

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        if values["account_id"] is None:
            opportunity, lead = values["opportunity_id"], values["lead_id"]
            if opportunity is None and lead is None:
                ctx.report.error(file, line, "account_id", "", _("客户、商机、线索至少要填一项"))
            elif not (
                (opportunity not in (None, INVALID) and ctx.known("opportunities", opportunity))
                or (lead not in (None, INVALID) and ctx.known("leads", lead))
            ):
                ctx.report.error(file, line, "account_id", "", _("未填客户，填写的商机或线索也不存在：这条记录无处挂靠"))
        occurred, recorded = values["occurred_at"], values["recorded_at"]
        if isinstance(occurred, datetime) and isinstance(recorded, datetime) and recorded < occurred:
            ctx.report.warning(file, line, "recorded_at", recorded.isoformat(), _("录入时间早于发生时间"))

    def bind(self, ctx: Context) -> None:
        self.users, self.accounts = ctx.pks("users"), ctx.pks("accounts")
        self.opportunities, self.leads = ctx.pks("opportunities"), ctx.pks("leads")

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        # The hottest function of a big import: map lookups inline rather than through Context methods.
        row = values["activity_id"]
        account, opportunity, lead = values["account_id"], values["opportunity_id"], values["lead_id"]
        account_pk = opportunity_pk = lead_pk = None
        if account is not None:
            account_pk = self.accounts.get(account)
            if account_pk is None or account in ctx.placeholders_created:
                account_pk = ctx.evidence_account(account, seen_at=values["occurred_at"])
        if opportunity is not None:
            opportunity_pk = self.opportunities.get(opportunity)
            if opportunity_pk is None:
                ctx.unresolved.append((row, "opportunity_id", opportunity))
        if lead is not None:
            lead_pk = self.leads.get(lead)
            if lead_pk is None:
                ctx.unresolved.append((row, "lead_id", lead))
        return (
            row,
            self.users[values["owner_id"]],
            account_pk,
            opportunity_pk,
            lead_pk,
            values["kind"],
            values["occurred_at"],
            values["recorded_at"],
            values["duration_seconds"],
            values["content"] or "",
            values["lat"],
            values["lng"],
        )

    def after_write(self, writer: TableWriter, ctx: Context) -> None:
        unresolved_sync(model=self.model, table=self.table_name, pending=ctx.unresolved, ctx=ctx)
        ctx.unresolved = []
        ctx.placeholders_settle()


class TouchEventsLoader(Loader):
    table_name = "touch_events"
    model = TouchEvent
    attnames = (
        "external_id",
        "tracked_item_key",
        "document",
        "account_id",
        "contact_id",
        "opportunity_id",
        "kind",
        "occurred_at",
    )

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        row = values["event_id"]
        return (
            row,
            values["tracked_item_id"],
            _text(values["document"]),
            ctx.evidence_account(values["account_id"], seen_at=values["occurred_at"]),
            ctx.evidence_ref("contacts", values["contact_id"], row=row, column="contact_id"),
            ctx.evidence_ref("opportunities", values["opportunity_id"], row=row, column="opportunity_id"),
            values["kind"],
            values["occurred_at"],
        )

    def after_write(self, writer: TableWriter, ctx: Context) -> None:
        unresolved_sync(model=self.model, table=self.table_name, pending=ctx.unresolved, ctx=ctx)
        ctx.unresolved = []
        ctx.placeholders_settle()


class InvoicesLoader(Loader):
    table_name = "invoices"
    model = Invoice
    attnames = ("external_id", "account_id", "opportunity_id", "amount", "issued_on", "due_on", "paid_on")

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        issued, due = values["issued_on"], values["due_on"]
        if isinstance(issued, date) and isinstance(due, date) and due < issued:
            ctx.report.warning(file, line, "due_on", due.isoformat(), _("到期日早于开票日期"))

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        return (
            values["invoice_id"],
            ctx.ref("accounts", values["account_id"]),
            ctx.ref("opportunities", values["opportunity_id"]),
            values["amount"],
            values["issued_on"],
            values["due_on"],
            values["paid_on"],
        )


class TargetsLoader(Loader):
    table_name = "targets"
    model = Target
    attnames = ("external_id", "period", "scope_kind", "user_id", "team_id", "product_line", "amount")

    def key(self, values: dict[str, Any]) -> Any:
        parts = (values["period"], values["scope_kind"], values["scope_id"])
        if any(p in (None, INVALID) for p in parts) or values["product_line"] is INVALID:
            return None
        return Target.key_for(period=parts[0], scope_kind=parts[1], scope_id=parts[2], product_line=values["product_line"] or "")

    def check(self, values: dict[str, Any], *, file: str, line: int, ctx: Context) -> None:
        kind, scope = values["scope_kind"], values["scope_id"]
        if kind in (None, INVALID) or scope in (None, INVALID):
            return
        table = "users" if kind == "user" else "teams"
        if not ctx.known(table, scope):
            ctx.report.error(file, line, "scope_id", scope, _("引用的%(what)s不存在") % {"what": _what(table)})

    def row(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        kind, scope = values["scope_kind"], values["scope_id"]
        return (
            self.key(values),
            values["period"],
            kind,
            ctx.ref("users", scope) if kind == "user" else None,
            ctx.ref("teams", scope) if kind == "team" else None,
            _text(values["product_line"]),
            values["amount"],
        )


LOADERS: tuple[type[Loader], ...] = (
    PipelinesLoader, TeamsLoader, UsersLoader, AccountsLoader, ContactsLoader, OpportunitiesLoader, LeadsLoader,
    StageHistoryLoader, ActivitiesLoader, TouchEventsLoader, InvoicesLoader, TargetsLoader,
)  # fmt: skip


# -- reading rows ---------------------------------------------------------------------------------------


def _layout(table: Table, header: list[str], *, source: TableSource, ctx: Context) -> Layout:
    """Match a file's header against the table's columns; unknown, repeated and missing columns are errors."""
    report, label = ctx.report, source.label
    names = [h.strip() for h in header]
    positions: dict[str, int] = {}
    known = set(table.column_names)
    for index, name in enumerate(names):
        if name not in known:
            report.error(label, 1, name, name, _("未知的列（列名拼写有误？）") if name else _("表头有空列名"))
        elif name in positions:
            report.error(label, 1, name, name, _("列名重复"))
        else:
            positions[name] = index
    plan = []
    for column in table.columns:
        index = positions.get(column.name, -1)
        if index < 0 and column.required:
            report.error(label, 1, column.name, "", _("缺少必需的列"))
        plan.append((column.name, index, column.parse, column.required, column.default, _shifter(column, ctx.shift_days)))
    refs = [(c.name, c.ref) for c in table.columns if c.kind == "ref" and c.ref is not None]
    return Layout(table=table, label=label, width=len(names), plan=plan, refs=refs, pad_short_rows=not label.endswith(".csv"))


def _row_parser(layout: Layout, report: ImportReport) -> Callable[[list[str], int], dict[str, Any]]:
    """A function turning one row's cells into {column: value}, reporting each bad cell.

    Generated per file layout: the general loop over columns (unpacking each plan entry, branching on absent
    columns and shifts) cost as much as all the parsing itself, and this runs for every cell of millions of rows.
    The source is built only from the table declaration (column names are repr()'d), never from file content.
    """
    label = layout.label

    def empty(line: int, name: str, required: bool, default: Any) -> Any:
        if required:
            report.error(label, line, name, "", _("必填项为空"))
        return default

    def bad(line: int, name: str, raw: str, exc: CellError, required: bool, default: Any) -> Any:
        if raw.isspace():  # a cell of blanks is an empty cell, whatever its column's type
            return empty(line, name, required, default)
        report.error(label, line, name, raw, exc.reason)
        return INVALID

    namespace: dict[str, Any] = {"CellError": CellError, "empty": empty, "bad": bad}
    body = ["def parse(cells, line):"]
    for i, (name, index, parse, required, default, shift) in enumerate(layout.plan):
        namespace[f"p{i}"], namespace[f"d{i}"], namespace[f"s{i}"] = parse, default, shift
        if index < 0:
            body.append(f"    v{i} = d{i}")
            continue
        call = f"s{i}(p{i}(raw))" if shift is not None else f"p{i}(raw)"
        on_empty = f"empty(line, {name!r}, True, d{i})" if required else f"d{i}"
        body += [
            f"    raw = cells[{index}]",
            "    if raw:",
            "        try:",
            f"            v{i} = {call}",
            "        except CellError as exc:",
            f"            v{i} = bad(line, {name!r}, raw, exc, {required!r}, d{i})",
            "    else:",
            f"        v{i} = {on_empty}",
        ]
    body.append("    return {" + ", ".join(f"{name!r}: v{i}" for i, (name, *_rest) in enumerate(layout.plan)) + "}")
    exec(compile("\n".join(body), f"<row parser {layout.table.name}>", "exec"), namespace)  # noqa: S102 - see docstring
    parser: Callable[[list[str], int], dict[str, Any]] = namespace["parse"]
    return parser


def _parsed_rows(rows: Rows, layout: Layout, report: ImportReport) -> Iterator[tuple[int, dict[str, Any], bool]]:
    """(line, values, ok) for every data row; problems with single cells are reported as they are found."""
    label, width, pad = layout.label, layout.width, layout.pad_short_rows
    parse = _row_parser(layout, report)
    errors = report.errors
    for line, cells in rows:
        if len(cells) != width:
            if len(cells) < width and pad:
                cells = cells + [""] * (width - len(cells))
            elif len(cells) > width and not any(c.strip() for c in cells[width:]):
                cells = cells[:width]
            else:
                report.error(
                    label,
                    line,
                    "",
                    "",
                    _("列数与表头不符（表头 %(header)d 列，此行 %(row)d 列）") % {"header": width, "row": len(cells)},
                )
                yield line, {}, False
                continue
        before = len(errors)
        values = parse(cells, line)
        yield line, values, len(errors) == before


def _rows_after_header(source: TableSource) -> tuple[list[str] | None, Rows]:
    rows = source.rows()
    first = next(rows, None)
    return (None if first is None else first[1]), rows


# -- the two passes -------------------------------------------------------------------------------------


def _check_table(loader: Loader, source: TableSource, *, ctx: Context, progress: Progress) -> Layout | None:
    report, table, label = ctx.report, loader.table, source.label
    try:
        header, rows = _rows_after_header(source)
        if header is None:
            report.error(label, 1, "", "", _("文件为空（至少要有表头一行）"))
            return None
        layout = _layout(table, header, source=source, ctx=ctx)
        seen = ctx.folder_ids[table.name]
        single_key = table.key[0] if len(table.key) == 1 and type(loader).key is Loader.key else None
        composite: set[Any] = set()
        self_refs: list[tuple[int, str, str]] = []
        # Everything the loop needs per reference column, looked up once: this runs for millions of rows.
        missing = _("引用的%(what)s不存在（文件中和库中都没有）")
        kept = _("引用的%(what)s不存在：按原编号保留（可能是编造的记录）")
        refs = [
            (
                name,
                ref,
                ctx.folder_ids[ref],
                ctx.db_ids(ref) if ref != table.name else set(),
                table.name in EVIDENCE_TABLES and ref in LENIENT_REFS,
                (kept if table.name in EVIDENCE_TABLES and ref in LENIENT_REFS else missing) % {"what": _what(ref)},
            )
            for name, ref in layout.refs
        ]
        repeated_id, repeated_row = _("编号重复"), _("同一记录重复出现")
        progress_label = _("检查 %(file)s") % {"file": label}
        check, remember = loader.check, loader.remember
        count = 0
        for line, values, ok in _parsed_rows(rows, layout, report):
            count += 1
            if count % BATCH_ROWS == 0:
                progress.advance(BATCH_ROWS, label=progress_label)
            if not values:
                continue
            if single_key is not None:
                key = values[single_key]
                if key is not None and key is not INVALID:
                    if key in seen:
                        report.error(label, line, single_key, key, repeated_id)
                    seen.add(key)
            else:
                key = loader.key(values)
                if key is not None:
                    if key in composite:
                        report.error(
                            label,
                            line,
                            ",".join(table.key),
                            key if isinstance(key, str) else ",".join(map(str, key)),
                            repeated_row,
                        )
                    composite.add(key)
            for name, ref, in_folder, in_db, lenient, reason in refs:
                value = values[name]
                if value is None or value is INVALID or value in in_folder or value in in_db:
                    continue
                if ref == table.name:
                    self_refs.append((line, name, value))
                elif lenient:
                    report.warning(label, line, name, value, reason)
                else:
                    report.error(label, line, name, value, reason)
            if ok:
                check(values, file=label, line=line, ctx=ctx)
            remember(values, line=line, ctx=ctx)
        for line, name, value in self_refs:
            if not ctx.known(table.name, value):
                report.error(label, line, name, value, missing % {"what": _what(table.name)})
        loader.finish_check(file=label, ctx=ctx)
        progress.advance(count % BATCH_ROWS, label=progress_label)
        report.tables[table.name] = TableCounts(rows=count)
        return layout
    except SourceError as exc:
        report.error(label, exc.line, "", "", exc.reason)
        return None


def _load_table(loader: Loader, source: TableSource, *, ctx: Context, progress: Progress) -> TableCounts:
    """The writing pass over one file. It trusts the checking pass; a row it cannot store ends the import."""
    label = _("写入 %(file)s") % {"file": source.label}
    header, rows = _rows_after_header(source)
    if header is None:
        raise UnwritableRowError(source.label)
    layout = _layout(loader.table, header, source=source, ctx=ctx)
    if ctx.report.errors:
        raise UnwritableRowError(source.label)

    def values() -> Iterator[dict[str, Any]]:
        parse, width, errors = _row_parser(layout, ctx.report), layout.width, ctx.report.errors
        for line, cells in rows:
            if len(cells) != width:
                cells = (cells + [""] * width)[:width]
            parsed = parse(cells, line)
            if errors:
                raise UnwritableRowError(source.label)
            yield parsed

    return loader.load(values(), ctx=ctx, size_bytes=source.size_bytes, progress=lambda n: progress.advance(n, label=label))


def _estimate_rows(bundle: Bundle) -> int:
    return sum(max(s.size_bytes // 120, 1) for s in bundle.tables.values())


def _loaders(bundle: Bundle) -> list[Loader]:
    return [cls() for cls in LOADERS if cls.table_name in bundle.tables]


def _check_all(
    *, bundle: Bundle, shift_days: int, progress_stream: Stream | None, on_ready: Callable[[], None] | None = None
) -> ImportReport:
    """Pass 1: every row of every file parsed and checked, keeping only ids. Writes nothing.

    With `on_ready`, everything needed from the database is read first and `on_ready` is called after that.
    """
    report = ImportReport(source=bundle.label, ignored=list(bundle.ignored))
    for label, line, reason in bundle.problems:
        report.error(label, line, "", "", reason)
    ctx = Context(report=report, now=clock_now(), shift_days=shift_days, pipelines_in_folder="pipelines" in bundle.tables)
    if on_ready is not None:
        ctx.preload()
        on_ready()
    progress = Progress(stream=progress_stream, total=_estimate_rows(bundle))
    for loader in _loaders(bundle):
        _check_table(loader, bundle.tables[loader.table_name], ctx=ctx, progress=progress)
    return report


def _write_all(*, bundle: Bundle, shift_days: int, now: datetime, progress_stream: Stream | None) -> dict[str, TableCounts]:
    """Pass 2: every file written in dependency order. Must run inside the import's transaction."""
    ctx = Context(report=ImportReport(), now=now, shift_days=shift_days, pipelines_in_folder="pipelines" in bundle.tables)
    progress = Progress(stream=progress_stream, total=_estimate_rows(bundle))
    counts = {}
    activities_before = Activity.objects.aggregate(last=Max("pk"))["last"] or 0
    for loader in _loaders(bundle):
        counts[loader.table_name] = _load_table(loader, bundle.tables[loader.table_name], ctx=ctx, progress=progress)
    if counts.get("activities", TableCounts()).created:
        # Keyword evidence of the new activities: the next sweep scans them (tags only, no alerts: it is history).
        evidence_scan_after_import(after_id=activities_before, now=now)
    if counts.get("leads", TableCounts()).created or counts.get("accounts", TableCounts()).created or counts.get("teams", TableCounts()).created:
        # Which region each province and city belongs to, learned from the records just loaded (an admin's choices stay).
        regions_learn()
    progress.finish(_("写入完成"))
    return counts


def _record(
    report: ImportReport,
    counts: dict[str, TableCounts],
    *,
    bundle: Bundle,
    dry_run: bool,
    actor: User | None,
    kind: str,
    run: ImportRun | None,
    started: datetime,
) -> None:
    """Put the written counts into the report and record the load; inside the import's transaction."""
    report.tables.update(counts)
    report.written = report.changed > 0 and not dry_run
    if dry_run:
        transaction.set_rollback(True)
    elif run is not None:
        # An upload confirmed in the UI: its pending run becomes the record of the load, changed or not.
        run.status, run.finished_at = ImportRun.Status.DONE, clock_now()
        run.rows, run.report = sum(c.rows for c in report.tables.values()), report_for_storage(report)
        run.save(update_fields=["status", "finished_at", "rows", "report"])
    elif report.written:
        ImportRun.objects.create(
            kind=kind,
            status=ImportRun.Status.DONE,
            source_name=bundle.label[:255],
            created_by=actor,
            started_at=started,
            finished_at=clock_now(),
            rows=sum(c.rows for c in report.tables.values()),
            report=report_for_storage(report),
        )


# Below this much CSV a second process saves less than it costs to start.
PARALLEL_MIN_BYTES = 20_000_000


def parallel_worthwhile(bundle: Bundle) -> bool:
    return sum(s.size_bytes for s in bundle.tables.values()) >= PARALLEL_MIN_BYTES and parallel_possible(bundle)


def parallel_possible(bundle: Bundle) -> bool:
    """Whether the checking pass may run in a second process beside the writing one.

    Not inside a caller's transaction (the checker, on its own connection, would not see that transaction's
    rows), not for a ZIP (both processes would read through one shared file handle), only with two cores, and only
    from a single-threaded process: a fork copies other threads' open database sockets, and the child's use or
    teardown of them breaks the connections (seen with a test live server running beside an import).
    """
    return (
        threading.active_count() == 1
        and not connection.in_atomic_block
        and not isinstance(bundle, ZipBundle)
        and (os.cpu_count() or 1) >= 2
        and "fork" in multiprocessing.get_all_start_methods()
    )


def interchange_import(
    *,
    bundle: Bundle,
    dry_run: bool = False,
    shift_days: int = 0,
    actor: User | None = None,
    progress_stream: Stream | None = None,
    kind: str = "folder",
    run: ImportRun | None = None,
    parallel: bool = False,
) -> ImportReport:
    """Check every row of `bundle`; when nothing is wrong, write it all in one transaction.

    Returns the report: every problem row, and per table how many rows were created, updated or left as they
    were. With `dry_run` the writes happen and are rolled back, so the counts are exact and nothing stays.

    `parallel` (big folders, see `parallel_possible`): the check runs in a second process while this one writes
    inside the still-open transaction, which commits only when the check found no error. Either way nothing is
    written unless every row passed: the transaction, not the order of the work, guarantees it.
    """
    started = clock_now()
    if parallel and parallel_possible(bundle):
        return _import_parallel(
            bundle=bundle,
            dry_run=dry_run,
            shift_days=shift_days,
            actor=actor,
            progress_stream=progress_stream,
            kind=kind,
            run=run,
        )
    report = _check_all(bundle=bundle, shift_days=shift_days, progress_stream=progress_stream)
    report.dry_run = dry_run
    if report.errors:
        return report
    with transaction.atomic():
        counts = _write_all(bundle=bundle, shift_days=shift_days, now=started, progress_stream=progress_stream)
        _record(report, counts, bundle=bundle, dry_run=dry_run, actor=actor, kind=kind, run=run, started=started)
    return report


READY = "ready"


def _checker_main(bundle: Bundle, shift_days: int, progress_stream: Stream | None, sender: Connection) -> None:
    """The checking pass in its own process; sends back the report (or the traceback of a crash)."""
    try:
        ready = partial(sender.send, READY)
        sender.send(_check_all(bundle=bundle, shift_days=shift_days, progress_stream=progress_stream, on_ready=ready))
    except BaseException:  # noqa: BLE001 - whatever happened must reach the parent, which decides
        sender.send(traceback.format_exc())
    finally:
        sender.close()
        connections.close_all()


def _import_parallel(
    *,
    bundle: Bundle,
    dry_run: bool,
    shift_days: int,
    actor: User | None,
    progress_stream: Stream | None,
    kind: str,
    run: ImportRun | None,
) -> ImportReport:
    started = clock_now()
    connections.close_all()  # the checker opens its own connection; a forked one would be shared
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    checker = context.Process(target=_checker_main, args=(bundle, shift_days, progress_stream, sender), daemon=True)
    checker.start()
    sender.close()
    failure: Exception | None = None
    try:
        # The writer may lock tables the checker reads; it starts once the checker has read all it needs.
        verdict = receiver.recv()
        if verdict != READY:
            raise RuntimeError(f"the checking process crashed:\n{verdict}")
        with transaction.atomic():
            try:
                counts = _write_all(bundle=bundle, shift_days=shift_days, now=started, progress_stream=progress_stream)
            except Exception as exc:  # noqa: BLE001 - bad input fails here too; the checker tells which it was
                failure = exc
                transaction.set_rollback(True)
            verdict = receiver.recv()
            if isinstance(verdict, str):
                raise RuntimeError(f"the checking process crashed:\n{verdict}")
            report: ImportReport = verdict
            report.dry_run = dry_run
            if report.errors:
                transaction.set_rollback(True)
            elif failure is not None:
                raise failure
            else:
                _record(report, counts, bundle=bundle, dry_run=dry_run, actor=actor, kind=kind, run=run, started=started)
    finally:
        receiver.close()
        checker.join(timeout=60)
    return report


def unresolved_sync(*, model: type[models.Model], table: str, pending: list[tuple[str, str, str]], ctx: Context) -> None:
    """Make the kept-aside references of this table's imported rows match the file (writes only differences)."""
    content_type = ContentType.objects.get_for_model(model)
    stored = {
        (o, c): (pk, e)
        for pk, o, c, e in UnresolvedReference.objects.filter(content_type=content_type).values_list(
            "pk", "object_id", "column", "external_id"
        )
    }
    if not pending and not stored:
        return
    rows = {r for r, _c, _e in pending}
    row_pks = dict(model._default_manager.filter(external_id__in=rows).values_list("external_id", "pk")) if rows else {}
    wanted = {(row_pks[r], c): e for r, c, e in pending}
    new = [
        UnresolvedReference(content_type=content_type, object_id=o, column=c, external_id=e)
        for (o, c), e in wanted.items()
        if (o, c) not in stored
    ]
    UnresolvedReference.objects.bulk_create(new)
    for key, external_id in wanted.items():
        if key in stored and stored[key][1] != external_id:
            UnresolvedReference.objects.filter(pk=stored[key][0]).update(external_id=external_id)
    leftover = {key: pk for key, (pk, _e) in stored.items() if key not in wanted}
    if leftover:
        # Only rows that were in this folder lose their kept reference (it resolved, or the cell is now empty).
        objects = dict(model._default_manager.filter(pk__in={o for o, _c in leftover}).values_list("pk", "external_id"))
        stale = [pk for (o, _c), pk in leftover.items() if objects.get(o) in ctx.folder_ids[table] or o not in objects]
        if stale:
            UnresolvedReference.objects.filter(pk__in=stale).delete()


STORED_PROBLEMS = 1000


def report_for_storage(report: ImportReport) -> dict[str, Any]:
    """The report as kept on an ImportRun: counts in full, problems up to a limit (the full list was shown)."""
    data = report.as_json()
    data["error_count"], data["warning_count"] = len(report.errors), len(report.warnings)
    data["errors"] = data["errors"][:STORED_PROBLEMS]
    data["warnings"] = data["warnings"][:STORED_PROBLEMS]
    return data
