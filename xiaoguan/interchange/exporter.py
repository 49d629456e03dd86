"""`interchange_export`: write the database as a folder of the interchange format (spec/interchange.md).

Every table of the spec is written, empty ones with their header; UTF-8 without BOM, `\\n` line ends, times in
the organisation's zone with offset and seconds, decimals with `.`, booleans `true`/`false`, and raw values: no
spreadsheet escaping (that belongs to files meant for Excel, see xlsx.py). What `xiaoguan import` reads back is
what was written, so import → export → compare finds no difference.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.activities.models import Activity
from xiaoguan.core.errors import DomainError
from xiaoguan.customers.models import Account, Contact
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.interchange.models import PlaceholderAccount, UnresolvedReference
from xiaoguan.interchange.schema import TABLES
from xiaoguan.interchange.values import format_cell
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity, Stage, StageHistory
from xiaoguan.org.models import Team, User
from xiaoguan.receivables.models import Invoice
from xiaoguan.targets.models import Target

CHUNK = 5000


class ExportRefusedError(DomainError):
    code = "export_refused"
    default_message = gettext_lazy("导出目录必须为空或不存在")


def _values(rows: models.QuerySet[Any] | models.Manager[Any], *fields: str) -> Iterator[tuple[Any, ...]]:
    return rows.order_by("pk").values_list(*fields).iterator(chunk_size=CHUNK)


def _with_unresolved(model: type[models.Model], rows: Iterable[tuple[Any, ...]], columns: dict[str, int]) -> Iterator[list[Any]]:
    """Put back the references an import kept aside (the first value of each row is its primary key)."""
    content_type = ContentType.objects.get_for_model(model)
    kept: dict[tuple[int, str], str] = {
        (o, c): e
        for o, c, e in UnresolvedReference.objects.filter(content_type=content_type).values_list(
            "object_id", "column", "external_id"
        )
    }
    for pk, *values in rows:
        if kept:
            for column, index in columns.items():
                if values[index] is None and (pk, column) in kept:
                    values[index] = kept[(pk, column)]
        yield values


def _pipelines() -> Iterator[tuple[Any, ...]]:
    stages = Stage.objects.order_by("pipeline__external_id", "position")
    yield from stages.values_list("pipeline__external_id", "pipeline__name", "key", "name", "position", "is_won").iterator(
        chunk_size=CHUNK
    )


def _teams() -> Iterator[tuple[Any, ...]]:
    yield from Team.objects.order_by("path", "pk").values_list("external_id", "name", "parent__external_id", "kind")


def _users() -> Iterator[tuple[Any, ...]]:
    yield from _values(
        User.objects, "external_id", "name", "email", "role", "team__external_id", "manager__external_id", "hired_on", "is_active"
    )


def _accounts() -> Iterator[tuple[Any, ...]]:
    real = Account.objects.exclude(pk__in=PlaceholderAccount.objects.values("account_id"))
    yield from _values(
        real, "external_id", "name", "kind", "industry", "region__external_id", "city", "size", "owner__external_id",
        "created_at", "credit_limit", "payment_terms_days", "grade",
    )  # fmt: skip


def _contacts() -> Iterator[tuple[Any, ...]]:
    yield from _values(
        Contact.objects, "external_id", "account__external_id", "name", "title", "role_in_decision", "phone", "email", "wechat"
    )


def _opportunities() -> Iterator[tuple[Any, ...]]:
    yield from _values(
        Opportunity.objects, "external_id", "account__external_id", "owner__external_id", "pipeline__external_id",
        "product_line", "name", "amount", "currency", "created_at", "expected_close", "stage__key", "status", "closed_at",
        "lost_reason", "competitor",
    )  # fmt: skip


def _leads() -> Iterator[tuple[Any, ...]]:
    yield from _values(
        Lead.objects, "external_id", "created_at", "source", "name", "company", "phone", "email", "industry",
        "region__external_id", "city", "company_size", "budget", "status", "owner__external_id", "assigned_at",
        "first_contact_at", "converted_account__external_id", "converted_opportunity__external_id",
    )  # fmt: skip


def _stage_history() -> Iterator[tuple[Any, ...]]:
    yield from _values(StageHistory.objects, "opportunity__external_id", "stage__key", "entered_at", "changed_by__external_id")


def _activities() -> Iterator[list[Any]]:
    rows = _values(
        Activity.objects, "pk", "external_id", "owner__external_id", "account__external_id", "opportunity__external_id",
        "lead__external_id", "kind", "occurred_at", "recorded_at", "duration_seconds", "content", "lat", "lng",
    )  # fmt: skip
    yield from _with_unresolved(Activity, rows, {"opportunity_id": 3, "lead_id": 4})


def _touch_events() -> Iterator[list[Any]]:
    rows = _values(
        TouchEvent.objects, "pk", "external_id", "tracked_item_key", "document", "account__external_id",
        "contact__external_id", "opportunity__external_id", "kind", "occurred_at",
    )  # fmt: skip
    yield from _with_unresolved(TouchEvent, rows, {"contact_id": 4, "opportunity_id": 5})


def _invoices() -> Iterator[tuple[Any, ...]]:
    yield from _values(
        Invoice.objects,
        "external_id",
        "account__external_id",
        "opportunity__external_id",
        "amount",
        "issued_on",
        "due_on",
        "paid_on",
    )


def _targets() -> Iterator[tuple[Any, ...]]:
    for period, kind, user, team, product_line, amount in _values(
        Target.objects, "period", "scope_kind", "user__external_id", "team__external_id", "product_line", "amount"
    ):
        yield (period, kind, user if kind == Target.ScopeKind.USER else team, product_line, amount)


ROWS: dict[str, Callable[[], Iterable[Any]]] = {
    "pipelines": _pipelines,
    "teams": _teams,
    "users": _users,
    "accounts": _accounts,
    "contacts": _contacts,
    "opportunities": _opportunities,
    "leads": _leads,
    "stage_history": _stage_history,
    "activities": _activities,
    "touch_events": _touch_events,
    "invoices": _invoices,
    "targets": _targets,
}


def export_folder_check(folder: Path) -> None:
    """Refuse a target that exists and holds anything: an export never mixes with or replaces other files."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExportRefusedError(_("导出目录 %(folder)s 已存在且不为空；请指定一个空目录或不存在的目录") % {"folder": folder})


def interchange_export(*, folder: Path) -> dict[str, int]:
    """Write every table into `folder` (empty or absent). Returns the number of rows per table."""
    export_folder_check(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    # On PostgreSQL one snapshot serves all tables, so references between files agree while others write. SQLite
    # opens its transactions IMMEDIATE (settings), which would hold off every writer for the whole export; inside
    # a caller's transaction that transaction is the snapshot.
    own_snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic() if own_snapshot else nullcontext():
        if own_snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for table in TABLES:
            with (folder / table.filename).open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(table.column_names)
                count = 0
                for row in ROWS[table.name]():
                    writer.writerow([format_cell(v) for v in row])
                    count += 1
            counts[table.name] = count
    return counts
