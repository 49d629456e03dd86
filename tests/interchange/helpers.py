"""Small helpers shared by the interchange tests."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaoguan.activities.models import Activity
from xiaoguan.customers.models import Account, Contact
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.interchange.models import ImportRun
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage, StageHistory
from xiaoguan.org.models import Team, User
from xiaoguan.receivables.models import Invoice
from xiaoguan.targets.models import Target

MODELS = (
    Pipeline,
    Stage,
    Team,
    User,
    Account,
    Contact,
    Opportunity,
    Lead,
    StageHistory,
    Activity,
    TouchEvent,
    Invoice,
    Target,
    ImportRun,
)
WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "COPY")


def row_counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def csv_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


@contextmanager
def captured_writes() -> Iterator[list[str]]:
    """The data-changing SQL statements run in the body."""
    statements: list[str] = []
    with CaptureQueriesContext(connection) as queries:
        yield statements
    statements.extend(q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES))


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    return fn(**kwargs)
