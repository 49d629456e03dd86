"""Base pieces every business record shares: an external id and a change history."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExternalIdModel(models.Model):
    """A record with the source system's id (spec/cli.md). Records born here get `xg-<prefix>-000123`."""

    EXTERNAL_PREFIX: ClassVar[str] = "X"

    external_id = models.CharField(_("编号"), max_length=64, unique=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.external_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.external_id:
            super().save(*args, **kwargs)
            return
        # The readable id needs the primary key, which the database only gives on insert.
        self.external_id = self.external_id_placeholder()
        super().save(*args, **kwargs)
        self.external_id = self.external_id_for_pk()
        type(self)._default_manager.filter(pk=self.pk).update(external_id=self.external_id)

    def external_id_placeholder(self) -> str:
        return f"xg-{self.EXTERNAL_PREFIX}-tmp-{uuid.uuid4().hex}"

    def external_id_for_pk(self) -> str:
        return f"xg-{self.EXTERNAL_PREFIX}-{self.pk:06d}"


class DedupeKeysModel(models.Model):
    """A record found again by normalised keys (core/normalize.py): each save keeps them in step with their sources.

    `DEDUPE_KEYS` names (source field, key field, normaliser); rows written around save() (the import's tuples)
    are brought in step by interchange/keys.py from the same declaration.
    """

    DEDUPE_KEYS: ClassVar[tuple[tuple[str, str, Callable[[str], str]], ...]] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.dedupe_keys_fill()
        fields = kwargs.get("update_fields")
        if fields is not None:
            sources = {source for source, _key, _fn in self.DEDUPE_KEYS}
            if sources & set(fields):
                kwargs["update_fields"] = {*fields, *(key for _source, key, _fn in self.DEDUPE_KEYS)}
        super().save(*args, **kwargs)

    def dedupe_keys_fill(self) -> None:
        for source, key, normalise in self.DEDUPE_KEYS:
            setattr(self, key, normalise(getattr(self, source) or ""))


class HistoryEntry(models.Model):
    """One change to a business record: who, what, when. Shown on the record's page."""

    class Action(models.TextChoices):
        CREATED = "created", _("创建")
        UPDATED = "updated", _("修改")
        STAGE = "stage", _("阶段变更")
        CLOSED = "closed", _("关闭")
        REOPENED = "reopened", _("重新打开")
        HANDOVER = "handover", _("交接")
        CONVERTED = "converted", _("转化")
        IMPORTED = "imported", _("导入")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"))
    action = models.CharField(_("动作"), max_length=16, choices=Action.choices)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} {self.action} @ {self.at:%Y-%m-%d %H:%M}"
