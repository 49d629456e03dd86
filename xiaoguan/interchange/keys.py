"""Dedupe keys (core/normalize.py) for rows the import wrote as plain tuples, bypassing the models' save()."""

from __future__ import annotations

from typing import Any

from django.db import connection

from xiaoguan.core.models import DedupeKeysModel
from xiaoguan.customers.models import Account, Contact
from xiaoguan.leads.models import Lead

# The models whose keys the import brings in step; each declares its keys (DedupeKeysModel.DEDUPE_KEYS).
KEY_FIELDS: tuple[type[DedupeKeysModel], ...] = (Lead, Account, Contact)
CHUNK = 5000


def dedupe_keys_refresh(model: type[DedupeKeysModel]) -> int:
    """Recompute the keys of every row whose stored key no longer matches its source; returns rows changed."""
    specs = model.DEDUPE_KEYS
    sources = [s for s, _, _ in specs]
    keys = [k for _, k, _ in specs]
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(k)} = %s" for k in keys)
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608 — names from the model, values as parameters
    changed: list[tuple[Any, ...]] = []
    total = 0
    for row in model._default_manager.values_list("pk", *sources, *keys).iterator(chunk_size=CHUNK):
        pk, values, stored = row[0], row[1 : 1 + len(sources)], row[1 + len(sources) :]
        fresh = tuple(fn(value or "") for (_, _, fn), value in zip(specs, values, strict=True))
        if fresh != tuple(stored):
            changed.append((*fresh, pk))
        if len(changed) >= CHUNK:
            total += _write(sql, changed)
            changed = []
    return total + _write(sql, changed)


def _write(sql: str, rows: list[tuple[Any, ...]]) -> int:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    return len(rows)
