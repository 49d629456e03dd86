"""As-of replay (spec/cli.md): "as of T" means everything recorded before T is known, nothing after it.

Each kind of record has one field saying when it entered the system; `known_as_of` narrows any queryset (for
example a `<entity>_list_visible_to` selector's) to the records known at the clock's instant. After importing a
world taken on day D, `--as-of D` therefore sees all of it, and an earlier day sees less.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models

from xiaoguan.core.clock import clock_now, org_tz

# By model label, so the core imports no domain app. An activity is known when it was typed (recorded_at), not
# when it claims to have happened: a back-filled record was unknown until it was entered.
KNOWN_FROM: dict[str, str] = {
    "activities.activity": "recorded_at",
    "activities.task": "created_at",
    "customers.account": "created_at",
    "leads.lead": "created_at",
    "opportunities.opportunity": "created_at",
    "opportunities.stagehistory": "entered_at",
    "engagement.touchevent": "occurred_at",
    "receivables.invoice": "issued_on",
}


def known_from_field(model: type[models.Model]) -> str:
    """The field saying when a record of `model` became known; KeyError for models with no such time."""
    return KNOWN_FROM[model._meta.label_lower]


def known_as_of[M: models.Model](queryset: models.QuerySet[M], *, as_of: datetime | None = None) -> models.QuerySet[M]:
    """The records of `queryset` known at `as_of` (default: the clock, which `--as-of` sets)."""
    instant = as_of or clock_now()
    field_name = known_from_field(queryset.model)
    field = queryset.model._meta.get_field(field_name)
    if isinstance(field, models.DateTimeField):
        return queryset.filter(**{f"{field_name}__lt": instant})
    # A date-only record (an invoice's issue day) is known once its day has passed.
    return queryset.filter(**{f"{field_name}__lt": instant.astimezone(org_tz()).date()})
