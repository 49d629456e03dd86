"""Writing and reading change history. Services call `history_record`; pages call `history_list_for`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from xiaoguan.core.bulk import row_insert
from xiaoguan.core.models import HistoryEntry

if TYPE_CHECKING:
    from xiaoguan.org.models import User


def _plain(value: Any) -> Any:
    """A JSON-safe, human-readable form of a field value."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def history_changes(*, instance: models.Model, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply `values` to `instance` and return {field: [old, new]} for the ones that really changed."""
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(instance, field)
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
            setattr(instance, field, new)
    return changes


def history_entry(
    *,
    subject: models.Model,
    actor: User | None,
    action: str,
    at: datetime,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> HistoryEntry:
    """The history row of one change, not yet written (`history_record` writes it; a WriteBatch may plan it)."""
    return HistoryEntry(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        actor=actor,
        at=at,
        action=action,
        changes=changes or {},
        note=note[:500],
    )


def history_record(
    *,
    subject: models.Model,
    actor: User | None,
    action: str,
    at: datetime,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> HistoryEntry:
    entry = history_entry(subject=subject, actor=actor, action=action, at=at, changes=changes, note=note)
    row_insert(entry)
    return entry


def history_update(
    *,
    instance: models.Model,
    values: dict[str, Any],
    editable: frozenset[str],
    by: User,
    now: datetime,
    history_subject: models.Model | None = None,
    field_prefix: str = "",
    note: str = "",
) -> dict[str, list[Any]]:
    """The shared body of every `<entity>_update` service: apply the editable `values`, validate, save, and record
    what really changed on `history_subject` (default: the instance itself). Permission checks stay with the caller."""
    unknown = set(values) - editable
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    changes = history_changes(instance=instance, values=values)
    if changes:
        instance.full_clean()
        instance.save()
        history_record(
            subject=history_subject or instance, actor=by, action=HistoryEntry.Action.UPDATED, at=now,
            changes={f"{field_prefix}{field}": pair for field, pair in changes.items()}, note=note,
        )
    return changes


def history_list_for(*, subject: models.Model) -> QuerySet[HistoryEntry]:
    return HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
    ).select_related("actor").order_by("-at", "-pk")
