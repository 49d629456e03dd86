"""Set-based writes Django's ORM does slowly: many rows, each with its own values, in one prepared statement.

`bulk_update` builds a `CASE WHEN pk = … THEN …` expression per field over the whole batch, and `bulk_create` prepares
every field of every model instance; for tens of thousands of rows both cost seconds. An `executemany` of one
parameterised statement costs a fraction of that (measured: bench/routing.py, bench/sweep.py). Values go through the
fields' own `get_db_prep_save`, remembered per distinct value (a batch shares a handful of times and owners).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

from xiaoguan.core.models import DedupeKeysModel, ExternalIdModel

CHUNK = 5000
# PostgreSQL: up to this many rows go as one parameterised statement (a capture's single row); more are COPYed into a
# temporary table first, whose CREATE/COPY/DROP costs ~1 ms however few rows it carries.
PG_STAGE_FROM = 50
_stage_numbers = itertools.count(1)


def chunked[T](values: Sequence[T], size: int) -> list[Sequence[T]]:
    """`values` in slices of at most `size`: for `__in` lookups over long id lists (SQLite binds at most 32,766
    parameters, and a planner copes better with a few thousand)."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def _preparer(field: models.Field) -> Callable[[Any], Any]:  # type: ignore[type-arg]
    seen: dict[Any, Any] = {}

    def prepare(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            prepared = seen[value] = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # unhashable (a JSON dict): prepared each time
            return field.get_db_prep_save(value, connection)

    return prepare


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:  # type: ignore[type-arg]
    return [model._meta.get_field(name) for name in names]  # type: ignore[misc]


def _executemany(sql: str, params: list[list[Any]]) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(params), CHUNK):
            cursor.executemany(sql, params[start : start + CHUNK])


def _pg_stage(*, columns: Sequence[models.Field], rows: list[list[Any]]) -> str:  # type: ignore[type-arg]
    """PostgreSQL: the rows COPYed into a temporary table of the same column types; returns its name. COPY streams
    the values once, where a statement per row (or per thousand rows) pays parsing and a round trip each."""
    quote = connection.ops.quote_name
    name = f"xg_stage_{next(_stage_numbers)}"
    definition = ", ".join(f"{quote(str(f.column))} {f.db_type(connection)}" for f in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({definition}) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {name} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return name


def rows_update[M: models.Model](*, objs: Iterable[M], fields: Sequence[str]) -> int:
    """Write `fields` of each object (already set in memory) to its row. Returns the number of objects written."""
    batch = list(objs)
    if not batch:
        return 0
    meta = type(batch[0])._meta
    columns = _fields(type(batch[0]), fields)
    prepare = [_preparer(f) for f in columns]
    quote = connection.ops.quote_name
    values = [[p(getattr(obj, f.attname)) for p, f in zip(prepare, columns, strict=True)] + [obj.pk] for obj in batch]
    table, pk = quote(meta.db_table), quote(str(meta.pk.column))
    if connection.vendor == "postgresql" and len(batch) >= PG_STAGE_FROM:
        names = [quote(str(f.column)) for f in columns]
        staged = _pg_stage(columns=[*columns, meta.pk], rows=values)
        sets = ", ".join(f"{n} = v.{n}" for n in names)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} AS t SET {sets} FROM {staged} AS v WHERE t.{pk} = v.{pk}")  # noqa: S608
            cursor.execute(f"DROP TABLE {staged}")
        return len(batch)
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in columns)
    _executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", values)  # noqa: S608 — names from the model
    return len(batch)


def rows_insert(
    *,
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
) -> int:
    """Insert plain value rows (in `fields` order). With `conflict` (a unique set of fields), a row that exists has
    its `update` fields set from the new one instead (SQLite ≥ 3.24 and PostgreSQL share the syntax)."""
    if not rows:
        return 0
    columns = _fields(model, fields)
    prepare = [_preparer(f) for f in columns]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in columns)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES "  # noqa: S608 — names from the model
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    tail = ""
    if conflict:
        by_name = {f.name: str(f.column) for f in _fields(model, [*conflict, *update])}
        target = ", ".join(quote(by_name[n]) for n in conflict)
        sets = ", ".join(f"{quote(by_name[n])} = excluded.{quote(by_name[n])}" for n in update)
        tail = f" ON CONFLICT ({target}) DO UPDATE SET {sets}" if sets else f" ON CONFLICT ({target}) DO NOTHING"
    values = [[p(v) for p, v in zip(prepare, row, strict=True)] for row in rows]
    if connection.vendor == "postgresql" and len(rows) >= PG_STAGE_FROM:
        staged = _pg_stage(columns=columns, rows=values)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {names} FROM {staged}{tail}")  # noqa: S608
            cursor.execute(f"DROP TABLE {staged}")
        return len(rows)
    _executemany(head + one + tail, values)
    return len(rows)


# Field types whose database value is the Python value itself when it is a str, an int, a bool or None.
_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)
_PLAIN_VALUES = (str, int, type(None))
_row_plans: dict[tuple[type[models.Model], str, bool, tuple[str, ...]], tuple[str, list[tuple[str, Any, bool]], list[Any]]] = {}


_datetimes: dict[tuple[str, datetime], Any] = {}


def _datetime_prepared(field: models.DateTimeField, value: datetime) -> Any:  # type: ignore[type-arg]
    # A request writes the same `now` into a dozen columns; its conversion (time zone, text on SQLite) once.
    key = (connection.vendor, value)
    prepared = _datetimes.get(key)
    if prepared is None:
        if len(_datetimes) > 256:
            _datetimes.clear()
        prepared = _datetimes[key] = field.get_db_prep_save(value, connection)
    return prepared


def _row_plan(model: type[models.Model], *, with_pk: bool, conflict: Sequence[str]) -> tuple[str, list[tuple[str, Any, bool]], list[Any]]:
    """The INSERT statement of a model (built once per process) with, per column, its attribute, its field and
    whether a str / int / None value goes to the database as it is (no preparation: the common case)."""
    key = (model, connection.vendor, with_pk, tuple(conflict))
    plan = _row_plans.get(key)
    if plan is None:
        meta = model._meta
        quote = connection.ops.quote_name
        columns = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
        names = ", ".join(quote(str(f.column)) for f in columns)
        marks = ", ".join(["%s"] * len(columns))
        tail = ""
        if conflict:
            tail = f" ON CONFLICT ({', '.join(quote(str(f.column)) for f in _fields(model, conflict))}) DO NOTHING"
        sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks}){tail} RETURNING {quote(str(meta.pk.column))}"  # noqa: S608
        auto = [f for f in columns if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        plan = _row_plans[key] = (sql, [(f.attname, f, isinstance(f, _PLAIN_FIELDS)) for f in columns], auto)
    return plan


def row_insert[M: models.Model](obj: M, *, conflict: Sequence[str] = ()) -> M | None:
    """Insert one model instance as one plain statement and set its primary key; the hot path's `save()`.

    `save()` and `create()` pay for signals, field walking and query compilation on every call (measured: ~0.3 ms of
    Python per row against ~0.05 ms of SQL). With `conflict` (a unique set of fields), an existing row makes this
    return None and write nothing, without a savepoint. Fields left unset take the model's defaults as save() would,
    dedupe keys are filled and an external id given as save() does; no signals are sent, so this is for rows nobody
    listens to.
    """
    meta = type(obj)._meta
    if isinstance(obj, DedupeKeysModel):
        obj.dedupe_keys_fill()
    numbered = obj if isinstance(obj, ExternalIdModel) and not obj.external_id else None
    if numbered is not None:
        numbered.external_id = numbered.external_id_placeholder()
    sql, columns, auto = _row_plan(type(obj), with_pk=obj.pk is not None, conflict=conflict)
    for f in auto:
        f.pre_save(obj, add=True)
    values = []
    for attname, field, plain in columns:
        value = getattr(obj, attname)
        if plain and isinstance(value, _PLAIN_VALUES):
            values.append(value)
        elif isinstance(value, datetime) and isinstance(field, models.DateTimeField):
            values.append(_datetime_prepared(field, value))
        else:
            values.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    if numbered is not None:
        numbered.external_id = numbered.external_id_for_pk()
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {quote(meta.db_table)} SET external_id = %s WHERE {quote(str(meta.pk.column))} = %s", [numbered.external_id, obj.pk])  # noqa: S608
    return obj


def commit_without_disk_wait() -> None:
    """PostgreSQL: this transaction's COMMIT returns before its WAL reaches the disk (`synchronous_commit = off`).

    A capture holds its routing rule's cursor row until COMMIT returns; waiting for the fsync there (~8 ms on the
    2-core bench machine) made every lead through one rule wait for the one before. The trade is the one the embedded
    SQLite profile already makes (WAL with `synchronous=NORMAL`): after a crash of the machine, not of the app, the
    last fraction of a second of commits may be missing; nothing is ever half-written. Call it first in the transaction.
    """
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
