"""Invoices (应收): what a customer owes and when."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel
from xiaoguan.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class Invoice(ExternalIdModel):
    EXTERNAL_PREFIX = "INV"

    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("客户"))
    opportunity = models.ForeignKey("opportunities.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices", verbose_name=_("商机"))
    amount = models.DecimalField(_("金额"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    issued_on = models.DateField(_("开票日期"))
    due_on = models.DateField(_("到期日"))
    paid_on = models.DateField(_("回款日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("应收")
        verbose_name_plural = _("应收")
        indexes = [models.Index(fields=["account", "-issued_on"]), models.Index(fields=["paid_on", "due_on"])]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="invoice_amount_not_negative")]

    def __str__(self) -> str:
        return self.external_id
