"""Writes of the engagement app: a new version of the score's policy."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.engagement.models import EngagementPolicy
from xiaoguan.org.models import Role, User

POLICY_FIELDS = (
    "weight_opened", "weight_clicked", "weight_downloaded", "weight_meeting_booked", "half_life_days", "silent_hours", "silent_score_below",
)
POLICY_EDITORS = frozenset({Role.ADMIN.value, Role.DIRECTOR.value})


def can_edit_engagement_policy(user: User) -> bool:
    return user.is_active and user.role in POLICY_EDITORS


@transaction.atomic
def engagement_policy_update(*, by: User, now: datetime, values: dict[str, Any], note: str = "") -> EngagementPolicy:
    """Put a new version of the weights in force; the previous versions stay as history."""
    if not can_edit_engagement_policy(by):
        raise NotAllowedError()
    errors: dict[str, list[str]] = {}
    for name in POLICY_FIELDS:
        value = values.get(name)
        if value is None or Decimal(value) < 0:
            errors[name] = [_("请填写不小于 0 的数")]
    if not errors and Decimal(values["half_life_days"]) <= 0:
        errors["half_life_days"] = [_("半衰期必须大于 0")]
    if errors:
        raise ValidationFailedError(field_errors=errors)
    version = (EngagementPolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    return EngagementPolicy.objects.create(
        version=version, changed_by=by, changed_at=now, note=note[:200], **{name: values[name] for name in POLICY_FIELDS}
    )
