from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import SoftDeleteModel, TimeStampedModel, VersionedModel


class ContractStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("contract status", "Draft")
    PENDING_APPROVAL = "pending_approval", pgettext_lazy("contract status", "Pending approval")
    ACTIVE = "active", pgettext_lazy("contract status", "Active")
    EXPIRED = "expired", pgettext_lazy("contract status", "Expired")
    TERMINATED = "terminated", pgettext_lazy("contract status", "Terminated")


class Contract(SoftDeleteModel, VersionedModel, TimeStampedModel):
    """A signed agreement with a customer: what was sold, for how much, for how long."""

    number = models.CharField(_("contract number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    deal = models.ForeignKey(
        "deals.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quote = models.ForeignKey(
        "quotes.Quote", verbose_name=_("quote"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=ContractStatus, default=ContractStatus.DRAFT)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=Decimal(0))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    signed_on = models.DateField(_("sign date"), null=True, blank=True)
    starts_on = models.DateField(_("start date"), null=True, blank=True)
    ends_on = models.DateField(_("end date"), null=True, blank=True)
    our_party = models.CharField(_("our signing entity"), max_length=200, blank=True, default="")
    customer_party = models.CharField(_("customer signing entity"), max_length=200, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    external_id = models.CharField(_("external ID"), max_length=100, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=Q(external_id__isnull=False), name="contract_unique_external_id"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="contract_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="contract_created"),
            models.Index(fields=["owner", "-created_at", "-id"], name="contract_owner_created"),
            models.Index(fields=["team", "-created_at", "-id"], name="contract_team_created"),
            models.Index(fields=["customer", "-created_at"], name="contract_customer"),
            models.Index(fields=["status", "-created_at", "-id"], name="contract_status_created"),
            models.Index(fields=["ends_on", "id"], name="contract_ends_on"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
