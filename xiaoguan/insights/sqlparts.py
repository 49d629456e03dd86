"""Pieces of plain SQL the cockpit's aggregates share: the cockpit filter as a WHERE clause on deals, instants as the
database compares them, epoch seconds computed by the database. Both SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.opportunities.models import Opportunity, Stage, StageHistory

OPPORTUNITY = Opportunity._meta.db_table
STAGE = Stage._meta.db_table
STAGE_HISTORY = StageHistory._meta.db_table


def sql_instant(value: datetime, vendor: str | None = None) -> Any:
    # Django keeps SQLite datetimes as naive UTC text, with microseconds only when there are some: compare like with
    # like (a fixed ".000000" would sort after the stored "…16:00:00" of the very same instant).
    if (vendor or connection.vendor) == "sqlite":
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return value


def sql_epoch(column: str, vendor: str | None = None) -> str:
    """Epoch seconds of a timestamp column, as a number computed by the database (NULL stays NULL): parsing millions
    of timestamps in Python would cost more than the analytics themselves."""
    if (vendor or connection.vendor) == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"unixepoch({column})"  # twice as fast as strftime
    # '%%' because the query has parameters: Django turns a bare %s into a placeholder.
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def deal_where(cockpit: CockpitFilter, *, alias: str = "o") -> tuple[str, list[Any]]:
    """The cockpit's people, product line and pipeline on an opportunity table aliased `alias`."""
    owners = sorted(cockpit.owner_ids) or [0]  # no people: a list that matches no deal, still valid SQL
    clauses = [f"{alias}.owner_id IN ({', '.join(['%s'] * len(owners))})"]
    params: list[Any] = list(owners)
    if cockpit.product_line:
        clauses.append(f"{alias}.product_line = %s")
        params.append(cockpit.product_line)
    if cockpit.pipeline is not None:
        clauses.append(f"{alias}.pipeline_id = %s")
        params.append(cockpit.pipeline.pk)
    return " AND ".join(clauses), params
