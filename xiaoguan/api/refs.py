"""External ids in requests → records the caller may see.

A path id the caller may not see is a 404, exactly like one that does not exist (another rep's lead is not
"forbidden", it is simply not there for them). An id inside a body that does not resolve is a field error; every
such error of one request is reported at once.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from xiaoguan.api.errors import not_found
from xiaoguan.core.errors import ValidationFailedError
from xiaoguan.customers.models import Account
from xiaoguan.customers.selectors import account_list_visible_to
from xiaoguan.leads.models import Lead
from xiaoguan.leads.selectors import lead_list_visible_to
from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage
from xiaoguan.opportunities.selectors import opportunity_list_visible_to, pipeline_list, stage_list
from xiaoguan.org.models import Team, User
from xiaoguan.org.selectors import user_list_visible_to

__all__ = ["References", "plain_values", "visible_or_404"]


def visible_or_404[M: Model](queryset: QuerySet[M], external_id: str) -> M:
    """The record with this external id among those the caller may see, or a 404."""
    record = queryset.filter(external_id=external_id).first()
    if record is None:
        raise not_found()
    return record


def plain_values(values: dict[str, Any], *, blank_when_null: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A PATCH body as model values: enums as their values, `null` as "" for choice columns that may be empty."""
    result: dict[str, Any] = {}
    for field, value in values.items():
        if isinstance(value, Enum):
            value = value.value
        if value is None and field in blank_when_null:
            value = ""
        result[field] = value
    return result


class References:
    """Resolves the external ids of one request body; `check()` refuses with every unknown id at once."""

    def __init__(self, *, viewer: User) -> None:
        self.viewer = viewer
        self.errors: dict[str, list[str]] = {}

    def _miss(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def user(self, field: str, external_id: str | None) -> User | None:
        if external_id is None:
            return None
        user = user_list_visible_to(user=self.viewer).filter(external_id=external_id, is_active=True).first()
        if user is None:
            self._miss(field, _("找不到该人员：%(id)s") % {"id": external_id})
        return user

    def region(self, field: str, external_id: str | None) -> Team | None:
        if external_id is None:
            return None
        # The team tree is not confidential: any user may name any region.
        team = Team.objects.filter(external_id=external_id, kind=Team.Kind.REGION).first()
        if team is None:
            self._miss(field, _("找不到该大区：%(id)s") % {"id": external_id})
        return team

    def account(self, field: str, external_id: str | None) -> Account | None:
        if external_id is None:
            return None
        account = account_list_visible_to(user=self.viewer).filter(external_id=external_id).first()
        if account is None:
            self._miss(field, _("找不到该客户：%(id)s") % {"id": external_id})
        return account

    def opportunity(self, field: str, external_id: str | None) -> Opportunity | None:
        if external_id is None:
            return None
        opportunity = opportunity_list_visible_to(user=self.viewer).filter(external_id=external_id).first()
        if opportunity is None:
            self._miss(field, _("找不到该商机：%(id)s") % {"id": external_id})
        return opportunity

    def lead(self, field: str, external_id: str | None) -> Lead | None:
        if external_id is None:
            return None
        lead = lead_list_visible_to(user=self.viewer).filter(external_id=external_id).first()
        if lead is None:
            self._miss(field, _("找不到该线索：%(id)s") % {"id": external_id})
        return lead

    def pipeline(self, field: str, key: str | None) -> Pipeline | None:
        if key is None:
            return None
        pipeline = pipeline_list().filter(external_id=key).first()
        if pipeline is None:
            self._miss(field, _("找不到该销售流程：%(id)s") % {"id": key})
        return pipeline

    def stage(self, field: str, pipeline: Pipeline, key: str) -> Stage | None:
        stage = stage_list(pipeline=pipeline).filter(key=key).first()
        if stage is None:
            keys = ", ".join(stage_list(pipeline=pipeline).values_list("key", flat=True))
            self._miss(field, _("该销售流程没有这个阶段：%(key)s（可选：%(keys)s）") % {"key": key, "keys": keys})
        return stage

    def check(self) -> None:
        if self.errors:
            raise ValidationFailedError(field_errors=self.errors)
