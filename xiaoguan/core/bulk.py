"""Set-based writes Django's ORM does slowly: many rows, each with its own values, in one prepared statement.

`bulk_update` builds a `CASE WHEN pk = … THEN …` expression per field over the whole batch, which costs seconds for
a few thousand rows; an `executemany` of one parameterised UPDATE costs milliseconds (measured: bench/sweep.py,
bench/routing.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models


def rows_update[M: models.Model](*, objs: Iterable[M], fields: Sequence[str]) -> int:
    """Write `fields` of each object (already set in memory) to its row. Returns the number of objects written."""
    batch = list(objs)
    if not batch:
        return 0
    model = type(batch[0])
    meta = model._meta
    columns: list[models.Field] = [meta.get_field(name) for name in fields]  # type: ignore[misc]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(meta.pk.column))} = %s"  # noqa: S608 — names from the model
    params = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns] + [obj.pk] for obj in batch]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(batch)
