"""Set-based writes Django's ORM does slowly: many rows, each with its own values, in one prepared statement.

`bulk_update` builds a `CASE WHEN pk = … THEN …` expression per field over the whole batch, and `bulk_create` prepares
every field of every model instance; for tens of thousands of rows both cost seconds. An `executemany` of one
parameterised statement costs a fraction of that (measured: bench/routing.py, bench/sweep.py). Values go through the
fields' own `get_db_prep_save`, remembered per distinct value (a batch shares a handful of times and owners).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

CHUNK = 5000
_stage_numbers = itertools.count(1)


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
    if connection.vendor == "postgresql":
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
    if connection.vendor == "postgresql":
        staged = _pg_stage(columns=columns, rows=values)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {names} FROM {staged}{tail}")  # noqa: S608
            cursor.execute(f"DROP TABLE {staged}")
        return len(rows)
    _executemany(head + one + tail, values)
    return len(rows)
