"""Set-based writes Django's ORM does slowly: many rows, each with its own values, in one prepared statement.

`bulk_update` builds a `CASE WHEN pk = … THEN …` expression per field over the whole batch, and `bulk_create` prepares
every field of every model instance; for tens of thousands of rows both cost seconds. An `executemany` of one
parameterised statement costs a fraction of that (measured: bench/routing.py, bench/sweep.py). Values go through the
fields' own `get_db_prep_save`, remembered per distinct value (a batch shares a handful of times and owners).
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction

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


# ------------------------------------------------------------------------------------------------ the write batch

_REF_TEXT = re.compile(r"xg-ref-[0-9a-f]{32}")
_STALE_SQLSTATE = "22012"  # division_by_zero: how a PostgreSQL guard stops the batch (see WriteBatch._run_postgresql)


class Ref:
    """The primary key of a row a `WriteBatch` has planned and not written yet.

    Put it where the key goes (a foreign key, a subject id); where it ends up inside text (a dedupe key, a link, an
    answer's JSON) it reads as a unique token, replaced by the key (or the row's external id) when the batch runs.
    """

    __slots__ = ("pk_column", "table", "token", "value")

    def __init__(self, table: str = "", pk_column: str = "") -> None:
        self.token = f"xg-ref-{uuid.uuid4().hex}"
        self.value: int | None = None
        self.table, self.pk_column = table, pk_column

    def __str__(self) -> str:
        return self.token

    def __format__(self, spec: str) -> str:
        return self.token

    def __repr__(self) -> str:
        return f"Ref({self.value if self.value is not None else self.token})"


class BatchStaleError(Exception):
    """A guard of the batch found the state it was planned on changed (another request came first): plan again."""


@dataclass
class _Step:
    sql: str
    values: list[Any]
    fix: list[int]  # positions of values holding a Ref or a token
    ref: Ref | None = None  # the row's key: from RETURNING (SQLite) or reserved before (PostgreSQL)
    guard: bool = False  # no row back → BatchStaleError
    needs: tuple[Ref, ...] = ()  # skipped when one of these rows was not written (its insert met a conflict)
    conflict: bool = False  # ON CONFLICT: whether the row was written shows in what RETURNING gives back
    external_id: bool = False  # the follow-up UPDATE of a new row's external id (PostgreSQL writes it in the INSERT)


@dataclass
class _Planned:
    obj: models.Model
    ref: Ref | None
    fix: list[str]  # attributes holding a Ref or a token, set right once the batch has run
    external_token: str = ""


class WriteBatch:
    """Rows prepared before the write transaction and written by `run()` in one short burst.

    On SQLite a transaction holds the database's one write lock from its first statement to COMMIT; a capture that
    built its rows (model instances, prepared values, the routing decision, its JSON answer) inside the transaction
    held the lock for ~2 ms of Python, against ~0.5 ms for the statements alone (bench/leads.py). So the hot path
    plans: every row is built and every value prepared first, a key not known yet is a `Ref`; `run()` sends the
    statements through the raw driver cursor and checks the guards — statements that prove the plan's reads still
    hold (a round-robin turn, a daily cap). SQLite: one statement after another, each Ref filled from RETURNING.
    PostgreSQL: the keys are reserved from their sequences first, then the whole batch goes as one multi-statement
    query — one round trip, and outside a caller's transaction one implicit transaction.
    """

    def __init__(self) -> None:
        self._steps: list[_Step] = []
        self._planned: list[_Planned] = []
        self._after: list[Callable[[], None]] = []
        self._postgresql = connection.vendor == "postgresql"

    # --- planning

    def insert(self, obj: models.Model, *, conflict: Sequence[str] = (), update: Sequence[str] = (), needs: Sequence[Ref] = ()) -> Ref:
        """Plan the row of `obj`; returns the Ref its key will fill (also `obj.pk` until then). With `conflict` (a
        unique set of fields) an existing row is left as it is — or given the `update` fields — and, when left, the
        Ref stays empty and steps that need it are skipped."""
        if isinstance(obj, DedupeKeysModel):
            obj.dedupe_keys_fill()
        meta = obj._meta
        ref = Ref(meta.db_table, str(meta.pk.column))
        external_token = ""
        if isinstance(obj, ExternalIdModel) and not obj.external_id:
            external_token = obj.external_id = Ref().token
        with_pk = self._postgresql or obj.pk is not None
        if obj.pk is None:
            obj.pk = ref
        else:
            ref.value = obj.pk  # a key given in advance: nothing to reserve
        sql, columns, auto = _row_plan(type(obj), with_pk=with_pk, conflict=conflict if not update else ())
        if update:
            sql = _upsert_sql(type(obj), sql, conflict=conflict, update=update)
        for f in auto:
            f.pre_save(obj, add=True)
        values, fix, attrs = [], [], []
        for i, (attname, field, plain) in enumerate(columns):
            prepared = _batch_value(field, plain, getattr(obj, attname))
            if _needs_fix(prepared):
                fix.append(i)
                attrs.append(attname)
            values.append(prepared)
        if needs and self._postgresql:
            # One query cannot skip a statement: the row is inserted only where the rows it needs exist.
            head, _values, tail = sql.partition(" VALUES (")
            marks, _close, rest = tail.partition(")")
            exists = " AND ".join(f"EXISTS (SELECT 1 FROM {_q(r.table)} WHERE {_q(r.pk_column)} = %s)" for r in needs)  # noqa: S608
            sql = f"{head} SELECT {marks} WHERE {exists}{rest}"
            fix.extend(range(len(values), len(values) + len(needs)))
            values.extend(needs)
        self._steps.append(_Step(sql=_vendor_sql(sql), values=values, fix=fix, ref=ref, needs=tuple(needs), conflict=bool(conflict)))
        if external_token:
            update_sql = f"UPDATE {_q(meta.db_table)} SET external_id = %s WHERE {_q(str(meta.pk.column))} = %s"  # noqa: S608
            self._steps.append(_Step(sql=_vendor_sql(update_sql), values=[external_token, ref], fix=[0, 1], needs=(ref,), external_id=True))
        self._planned.append(_Planned(obj=obj, ref=ref, fix=attrs, external_token=external_token))
        return ref

    def update(self, obj: models.Model, *, fields: Sequence[str]) -> None:
        """Plan writing `fields` of `obj` (set in memory) to its row."""
        meta = obj._meta
        columns = _fields(type(obj), fields)
        sets = ", ".join(f"{_q(str(f.column))} = %s" for f in columns)
        values = [_batch_value(f, isinstance(f, _PLAIN_FIELDS), getattr(obj, f.attname)) for f in columns] + [obj.pk]
        fix = [i for i, v in enumerate(values) if _needs_fix(v)]
        self._steps.append(_Step(sql=_vendor_sql(f"UPDATE {_q(meta.db_table)} SET {sets} WHERE {_q(str(meta.pk.column))} = %s"),  # noqa: S608
                                 values=values, fix=fix))
        self._planned.append(_Planned(obj=obj, ref=None, fix=[f.attname for f in columns if _needs_fix(getattr(obj, f.attname))]))

    def guard(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Plan a statement that must give a row back (`RETURNING`), else the batch stops with BatchStaleError and
        writes nothing — so guards come before every other step."""
        if " RETURNING " not in sql:
            raise ValueError("a guard needs a RETURNING clause")
        if any(not step.guard for step in self._steps):
            raise ValueError("guards come first: a stale guard must find nothing written")
        self.statement(sql, params)
        self._steps[-1].guard = True

    def statement(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Plan a statement of plain values (`%s` placeholders)."""
        values = list(params)
        fix = [i for i, v in enumerate(values) if _needs_fix(v)]
        self._steps.append(_Step(sql=_vendor_sql(sql), values=values, fix=fix))

    def after(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the rows are written (e.g. to register an on_commit)."""
        self._after.append(callback)

    # --- writing

    def run(self, *, fast_commit: bool = False, savepoint: bool = True) -> None:
        """Write the plan in one transaction: its own, or inside the caller's — in a savepoint unless `savepoint` is
        False (a batch without guards, whose failure fails the caller anyway). A stale guard raises BatchStaleError
        with nothing written. `fast_commit`: on PostgreSQL the COMMIT does not wait for the WAL's fsync (see
        `commit_without_disk_wait`; the embedded SQLite profile makes the same trade with WAL + NORMAL)."""
        tokens: dict[str, str] = {}
        if self._postgresql and not connection.in_atomic_block:
            self._run_postgresql(tokens, fast_commit=fast_commit)  # the query's implicit transaction
        else:
            with transaction.atomic(savepoint=savepoint):
                if self._postgresql:
                    self._run_postgresql(tokens, fast_commit=fast_commit)
                else:
                    self._run_sqlite(tokens)
        self._objects_fix(tokens)
        for callback in self._after:
            callback()

    def _run_sqlite(self, tokens: dict[str, str]) -> None:
        with connection.cursor() as wrapper, connection.wrap_database_errors:
            raw = wrapper.cursor
            for step in self._steps:
                if any(r.value is None for r in step.needs):
                    continue
                values = [_fixed(v, tokens) for v in step.values] if step.fix else step.values
                sqlite3.Cursor.execute(raw, step.sql, values)
                if step.ref is None and not step.guard:
                    continue
                row = raw.fetchone()
                if row is None and step.guard:
                    raise BatchStaleError(step.sql[:80])
                if row is not None and step.ref is not None:
                    step.ref.value = row[0]
                    tokens[step.ref.token] = str(row[0])
                    self._external_id_learn(step.ref, tokens)

    def _run_postgresql(self, tokens: dict[str, str], *, fast_commit: bool) -> None:
        refs = [step.ref for step in self._steps if step.ref is not None and step.ref.value is None]
        with connection.cursor() as wrapper, connection.wrap_database_errors:
            raw = wrapper.cursor
            if refs:
                # Every new row's key from its table's sequence, in one round trip (a gap when a row meets a conflict).
                raw.execute("SELECT " + ", ".join(f"nextval(pg_get_serial_sequence('{r.table}', '{r.pk_column}'))" for r in refs))
                for ref, value in zip(refs, raw.fetchone(), strict=True):
                    ref.value = value
                    tokens[ref.token] = str(value)
                for ref in refs:
                    self._external_id_learn(ref, tokens)
            statements = ["SET LOCAL synchronous_commit TO OFF"] if fast_commit else []
            sent: list[_Step | None] = [None] * len(statements)
            for step in self._steps:
                if step.external_id:
                    continue  # the INSERT carries the external id already: its key was known before
                values = [_fixed(v, tokens) for v in step.values] if step.fix else step.values
                sql = raw.mogrify(step.sql, values)
                if step.guard:
                    # No row back → division by zero → the whole query (one transaction) is rolled back.
                    sql = f"WITH guard AS ({sql}) SELECT 1 / (SELECT COUNT(*)::int FROM guard)"  # noqa: S608
                statements.append(sql)
                sent.append(step)
            try:
                raw.execute(";\n".join(statements))
            except Exception as exc:
                if getattr(exc, "sqlstate", None) == _STALE_SQLSTATE:
                    raise BatchStaleError(str(exc)) from exc
                raise
            for i, written in enumerate(sent):
                if i:
                    raw.nextset()
                if written is not None and written.conflict and written.ref is not None:
                    row = raw.fetchone() if raw.pgresult is not None and raw.pgresult.ntuples else None
                    written.ref.value = row[0] if row is not None else None

    def _external_id_learn(self, ref: Ref, tokens: dict[str, str]) -> None:
        for planned in self._planned:
            if planned.ref is ref and planned.external_token:
                obj = planned.obj
                obj.pk = ref.value
                tokens[planned.external_token] = obj.external_id_for_pk()  # type: ignore[attr-defined]
                return

    def _objects_fix(self, tokens: dict[str, str]) -> None:
        for planned in self._planned:
            obj = planned.obj
            if planned.ref is not None:
                obj.pk = planned.ref.value
                if planned.ref.value is not None:
                    obj._state.adding = False
                    obj._state.db = connection.alias
            for attname in planned.fix:
                setattr(obj, attname, _fixed(getattr(obj, attname), tokens))
            if planned.external_token and planned.ref is not None and planned.ref.value is not None:
                obj.external_id = tokens[planned.external_token]  # type: ignore[attr-defined]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _batch_value(field: models.Field, plain: bool, value: Any) -> Any:  # type: ignore[type-arg]
    if type(value) is Ref or (plain and isinstance(value, _PLAIN_VALUES)):
        return value
    if isinstance(value, datetime) and isinstance(field, models.DateTimeField):
        return _datetime_prepared(field, value)
    if isinstance(field, models.JSONField):
        # Text on both databases (PostgreSQL reads an untyped literal into jsonb): a token inside stays replaceable.
        return json.dumps(value, cls=field.encoder, ensure_ascii=False)
    return field.get_db_prep_save(value, connection)


def _needs_fix(value: Any) -> bool:
    if type(value) is Ref:
        return True
    if isinstance(value, str):
        return "xg-ref-" in value
    if isinstance(value, dict | list):
        return "xg-ref-" in json.dumps(value, ensure_ascii=False, default=str)
    return False


def _fixed(value: Any, tokens: dict[str, str]) -> Any:
    if type(value) is Ref:
        return value.value
    if isinstance(value, str):
        return _REF_TEXT.sub(lambda m: tokens.get(m.group(0), m.group(0)), value) if "xg-ref-" in value else value
    if isinstance(value, dict):
        return {_fixed(k, tokens): _fixed(v, tokens) for k, v in value.items()}
    if isinstance(value, list):
        return [_fixed(v, tokens) for v in value]
    return value


def _vendor_sql(sql: str) -> str:
    # The raw sqlite3 cursor takes qmark placeholders (Django's wrapper converts them on every call).
    return sql.replace("%s", "?") if connection.vendor == "sqlite" else sql


def _upsert_sql(model: type[models.Model], insert_sql: str, *, conflict: Sequence[str], update: Sequence[str]) -> str:
    head, _returning, pk = insert_sql.rpartition(" RETURNING ")
    by_name = {f.name: str(f.column) for f in _fields(model, [*conflict, *update])}
    target = ", ".join(_q(by_name[n]) for n in conflict)
    sets = ", ".join(f"{_q(by_name[n])} = excluded.{_q(by_name[n])}" for n in update)
    return f"{head} ON CONFLICT ({target}) DO UPDATE SET {sets} RETURNING {pk}"
