"""Sales targets (目标) for a person or a team over a month or a quarter."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel
from xiaoguan.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class Target(ExternalIdModel):
    """The interchange format has no id for targets: the external id is `period:scope_kind:scope_id:product_line`."""

    EXTERNAL_PREFIX = "TG"

    class ScopeKind(models.TextChoices):
        USER = "user", _("个人")
        TEAM = "team", _("团队")

    period = models.CharField(_("周期"), max_length=7, help_text="2025-Q4 / 2025-11")
    scope_kind = models.CharField(_("对象类型"), max_length=8, choices=ScopeKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="targets", verbose_name=_("人员"))
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="targets", verbose_name=_("团队"))
    product_line = models.CharField(_("产品线"), max_length=100, blank=True)
    amount = models.DecimalField(_("目标金额"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="target_amount_not_negative"),
            models.CheckConstraint(
                condition=(models.Q(scope_kind="user", user__isnull=False, team__isnull=True) | models.Q(scope_kind="team", team__isnull=False, user__isnull=True)),
                name="target_scope_matches_kind",
            ),
        ]

    @staticmethod
    def key_for(*, period: str, scope_kind: str, scope_id: str, product_line: str) -> str:
        return f"{period}:{scope_kind}:{scope_id}:{product_line}"
