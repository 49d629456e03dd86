"""Set-based writes Django's ORM does slowly: many rows, each with its own values, in one prepared statement.

`bulk_update` builds a `CASE WHEN pk = … THEN …` expression per field over the whole batch, and `bulk_create` prepares
every field of every model instance; for tens of thousands of rows both cost seconds. An `executemany` of one
parameterised statement costs a fraction of that (measured: bench/routing.py, bench/sweep.py). Values go through the
fields' own `get_db_prep_save`, remembered per distinct value (a batch shares a handful of times and owners).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

CHUNK = 5000


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


def rows_update[M: models.Model](*, objs: Iterable[M], fields: Sequence[str]) -> int:
    """Write `fields` of each object (already set in memory) to its row. Returns the number of objects written."""
    batch = list(objs)
    if not batch:
        return 0
    meta = type(batch[0])._meta
    columns = _fields(type(batch[0]), fields)
    prepare = [_preparer(f) for f in columns]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(meta.pk.column))} = %s"  # noqa: S608 — names from the model
    _executemany(sql, [[p(getattr(obj, f.attname)) for p, f in zip(prepare, columns, strict=True)] + [obj.pk] for obj in batch])
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
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    if conflict:
        by_name = {f.name: str(f.column) for f in _fields(model, [*conflict, *update])}
        target = ", ".join(quote(by_name[n]) for n in conflict)
        sets = ", ".join(f"{quote(by_name[n])} = excluded.{quote(by_name[n])}" for n in update)
        sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}" if sets else f" ON CONFLICT ({target}) DO NOTHING"
    _executemany(sql, [[p(v) for p, v in zip(prepare, row, strict=True)] for row in rows])
    return len(rows)
