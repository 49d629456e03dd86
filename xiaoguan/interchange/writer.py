"""Writing one model's rows in batches: insert the new, update the changed, leave the rest untouched.

`bulk_create` measured ~10k rows/s on this kind of table (model instances, per-field preparation); an import
needs more than twice that, so rows go in as plain tuples: `executemany` on SQLite, `COPY` on PostgreSQL, with
values adapted by the backend's own `connection.ops`. Everything else Django would fill in on save (auto_now
times, defaults) is filled in here, so the rows are the same as the ORM would write.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone


class _Keep:
    """A cell the file leaves empty for a column the database requires: keep what is stored."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


def _sqlite_datetime() -> Callable[[datetime], str]:
    """`ops.adapt_datetimefield_value` for aware values, without its checks (a third of an import's time)."""
    zone = connection.timezone

    def adapt(value: datetime) -> str:
        return str(value.astimezone(zone).replace(tzinfo=None))

    return adapt


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How the backend wants a field's value in a raw statement; None when the driver takes it as it is."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return None if connection.vendor == "postgresql" else _sqlite_datetime()
    if isinstance(field, models.DateField):
        return None if connection.vendor == "postgresql" else ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return None if connection.vendor == "postgresql" else str
    return None


@contextmanager
def secondary_indexes_deferred(model: type[models.Model]) -> Iterator[None]:
    """Drop the table's plain (non-constraint) indexes for the body and build them again after it.

    For a bulk load into an empty table: one sort per index at the end instead of a B-tree insert per row and
    index (the activities table has eight). On PostgreSQL the table's foreign keys go the same way: each row
    would otherwise queue one check per key (a locking lookup each, most of a big load's time), while adding a
    key back validates every row in one join. Inside the import's transaction, so a failed import leaves
    everything as it was; the table is locked until commit, which an empty table can afford.
    """
    table = model._meta.db_table
    quoted = connection.ops.quote_name(table)
    foreign_keys: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, quoted],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                [quoted],
            )
            foreign_keys = cursor.fetchall()
            # Altering a key touches the referenced tables, which PostgreSQL refuses while their deferred checks
            # are pending (rows written just before): run those checks now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for name, _definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [table]
            )
            indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Likewise CREATE INDEX and ADD CONSTRAINT.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            # Definitions come from the catalogue (pg_get_constraintdef), names from it too.
            cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")


class TableWriter:
    """Upserts rows of `model` given as tuples in `attnames` order, matched on the `key` positions.

    Rows already stored are compared value by value; only those that differ are updated, so importing the
    same data twice writes nothing.
    """

    def __init__(
        self,
        *,
        model: type[models.Model],
        attnames: Sequence[str],
        key: Sequence[int] = (0,),
        insert_defaults: dict[str, Callable[[], Any]] | None = None,
        keep_possible: bool = False,
        keep_fallback: Any = None,
        track_created: bool = False,
    ) -> None:
        self.model = model
        self.attnames = tuple(attnames)
        self.key = tuple(key)
        self.keep_possible = keep_possible
        self.keep_fallback = keep_fallback
        self.created_keys: set[Hashable] | None = set() if track_created else None
        meta = model._meta
        fields = {f.attname: f for f in meta.concrete_fields if not f.primary_key}
        now_fields = [f.attname for f in fields.values() if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        self.touch_fields = [f.attname for f in fields.values() if getattr(f, "auto_now", False)]
        given = insert_defaults or {}
        self.extra_insert: list[tuple[str, Callable[[], Any] | None, Any]] = []
        for attname, field in fields.items():
            if attname in self.attnames:
                continue
            if attname in given:
                self.extra_insert.append((attname, given[attname], None))
            elif attname in now_fields:
                self.extra_insert.append((attname, None, "now"))
            elif isinstance(field, models.JSONField):
                # A JSON default ({} or []) goes in as the backend's JSON parameter, not as a Python dict.
                self.extra_insert.append((attname, None, field.get_db_prep_save(field.get_default(), connection)))
            else:
                self.extra_insert.append((attname, None, field.get_default()))
        self.insert_columns = [*self.attnames, *(a for a, _, _ in self.extra_insert)]
        self.insert_adapters = [_adapter(fields[a]) for a in self.insert_columns]
        self.update_columns = [a for a in self.attnames if a != "external_id"] + self.touch_fields
        self.update_adapters = [_adapter(fields[a]) for a in self.update_columns]
        self.update_positions = [self.attnames.index(a) for a in self.attnames if a != "external_id"]
        self.empty_at_start = not model._default_manager.exists()
        self._prepare: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
        self._namespace: dict[str, Any] = {}
        self.created = 0
        self.updated = 0
        self.unchanged = 0

    # -- reading what is stored -------------------------------------------------------------------------

    def _key_of(self, row: Sequence[Any]) -> Hashable:
        if len(self.key) == 1:
            return row[self.key[0]]
        return tuple(row[i] for i in self.key)

    def stored(self, rows: Sequence[Sequence[Any]]) -> dict[Hashable, tuple[int, tuple[Any, ...]]]:
        """The stored rows among `rows` (matched on the first key column, then on the whole key)."""
        first = self.attnames[self.key[0]]
        wanted = {row[self.key[0]] for row in rows}
        found: dict[Hashable, tuple[int, tuple[Any, ...]]] = {}
        queryset = self.model._default_manager.filter(**{f"{first}__in": wanted}).values_list("pk", *self.attnames)
        for pk, *values in queryset:
            found[self._key_of(values)] = (pk, tuple(values))
        return found

    # -- writing ----------------------------------------------------------------------------------------

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.empty_at_start:
            new = rows
            changed: list[tuple[int, tuple[Any, ...]]] = []
        else:
            stored = self.stored(rows)
            new, changed = [], []
            for row in rows:
                hit = stored.get(self._key_of(row))
                if hit is None:
                    new.append(row)
                    continue
                pk, values = hit
                if self.keep_possible:
                    row = tuple(s if r is KEEP else r for r, s in zip(row, values, strict=True))
                if row != values:
                    changed.append((pk, row))
                else:
                    self.unchanged += 1
        self.insert(new)
        self.update(changed)

    def _row_preparer(self) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
        """A function from a row to the insert statement's parameters: values adapted, defaults appended.

        Generated once per writer (like a namedtuple's methods): a loop over columns per row cost more than the
        database's own work for the row.
        """
        namespace: dict[str, Any] = {"KEEP": KEEP, "fallback": self.keep_fallback}
        parts = []
        for i, adapt in enumerate(self.insert_adapters[: len(self.attnames)]):
            value = f"r[{i}]"
            if self.keep_possible:
                value = f"(fallback if {value} is KEEP else {value})"
            if adapt is not None:
                namespace[f"a{i}"] = adapt
                value = f"(None if r[{i}] is None else a{i}({value}))"
            parts.append(value)
        for j, (_attname, make, constant) in enumerate(self.extra_insert):
            if make is not None:
                namespace[f"m{j}"] = make
                parts.append(f"m{j}()")
            elif constant == "now":
                parts.append("now")
            else:
                namespace[f"c{j}"] = constant
                parts.append(f"c{j}")
        namespace["now"] = None
        source = "def prepare(r):\n    return (" + ", ".join(parts) + ",)"
        exec(compile(source, f"<insert {self.model._meta.db_table}>", "exec"), namespace)  # noqa: S102 - built from field types only
        self._namespace = namespace
        prepare: Callable[[tuple[Any, ...]], tuple[Any, ...]] = namespace["prepare"]
        return prepare

    def insert(self, rows: Iterable[tuple[Any, ...]]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self._prepare is None:
            self._prepare = self._row_preparer()
        now = timezone.now()
        adapt_now = next(
            (
                a
                for a, (_n, _m, c) in zip(self.insert_adapters[len(self.attnames) :], self.extra_insert, strict=True)
                if c == "now" and a
            ),
            None,
        )
        self._namespace["now"] = adapt_now(now) if adapt_now else now
        prepare = self._prepare
        prepared = [prepare(row) for row in rows]
        if self.created_keys is not None:
            self.created_keys.update(self._key_of(row) for row in rows)
        self.created += len(prepared)
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.insert_columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in prepared:
                        copy.write_row(values)
            else:
                placeholders = ", ".join(["%s"] * len(self.insert_columns))
                # Names come from the model's metadata, quoted by the backend; values are parameters.
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", prepared)  # noqa: S608

    def update(self, changed: list[tuple[int, tuple[Any, ...]]]) -> None:
        if not changed:
            return
        now = timezone.now()
        prepared = []
        for pk, row in changed:
            values = [row[i] for i in self.update_positions] + [now] * len(self.touch_fields)
            values = [
                adapt(v) if adapt is not None and v is not None else v
                for v, adapt in zip(values, self.update_adapters, strict=True)
            ]
            prepared.append([*values, pk])
        self.updated += len(prepared)
        table = connection.ops.quote_name(self.model._meta.db_table)
        assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in self.update_columns)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {connection.ops.quote_name('id')} = %s", prepared)  # noqa: S608
