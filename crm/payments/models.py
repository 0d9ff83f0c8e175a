"""The contract's money ledger: payment plans and instalments, payments and their allocations, invoices.

Payments and invoices are append-only: a correction is a reversing entry linked to the original, so
every sum over the ledger stays true at any point in time.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.contracts.models import ContractStatus
from crm.core.models import TimeStampedModel, VersionedModel

ZERO = Decimal("0.00")


class PaymentSettings(VersionedModel, TimeStampedModel):
    """The organisation's payment rules, edited by administrators; one row (pk 1)."""

    allow_invoice_over_contract = models.BooleanField(_("allow invoices above the contract amount"), default=False)
    manager_overdue_days = models.PositiveIntegerField(_("tell the manager after this many days overdue"), default=7)

    class Meta:
        verbose_name = _("payment settings")
        verbose_name_plural = _("payment settings")

    def __str__(self) -> str:
        return str(_("payment settings"))


class PaymentPlan(VersionedModel, TimeStampedModel):
    """A contract's plan of instalments; its version guards plan edits against a colleague's save."""

    contract = models.OneToOneField(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")

    def __str__(self) -> str:
        return f"plan {self.contract_id}"


# Only signed contracts owe money: a draft's plan is not due yet, a terminated contract's no longer.
RECEIVABLE_STATUSES = (ContractStatus.ACTIVE, ContractStatus.EXPIRED)


class Instalment(TimeStampedModel):
    """One expected payment of a contract; `collected` is the sum of its allocations, kept by the services.

    Storing `collected` lets the ageing report read one row per instalment instead of summing
    allocations; the property tests check it always equals that sum.
    """

    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.PositiveIntegerField(_("instalment number"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    due_on = models.DateField(_("due date"))
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    collected = models.DecimalField(_("collected"), max_digits=16, decimal_places=2, default=ZERO)
    # When the owner and the manager were told it is due or overdue; cleared when the due date moves.
    owner_told_on = models.DateField(_("owner told on"), null=True, blank=True)
    manager_told_on = models.DateField(_("manager told on"), null=True, blank=True)

    class Meta:
        ordering = ["contract", "number", "id"]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="instalment_unique_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(
                condition=Q(collected__gte=0) & Q(collected__lte=F("amount")), name="instalment_collected_range"
            ),
        ]
        indexes = [
            # The ageing report reads only instalments with money still to come, summed per contract:
            # in contract order the sums stream without a sort or hash, and amount and collected are
            # in the index so they never touch the table.
            models.Index(
                fields=["contract", "due_on", "amount", "collected"],
                condition=Q(collected__lt=F("amount")),
                name="instalment_open_due",
            ),
            models.Index(fields=["contract", "due_on", "id"], name="instalment_contract_due"),
            # The instalment list in its due-date order.
            models.Index(fields=["due_on", "id"], name="instalment_due"),
            # The instalment list's "overdue" and "open" filters, in its due-date order: without it the
            # list gathers every open instalment of every contract and sorts them.
            models.Index(
                fields=["due_on", "id"], condition=Q(collected__lt=F("amount")), name="instalment_open_due_on"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}#{self.number}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.collected

    @property
    def is_owed(self) -> bool:
        """Whether the customer owes it yet: a draft's or a terminated contract's plan is not due."""
        return self.contract.status in RECEIVABLE_STATUSES


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    ONLINE = "online", _("Online payment")
    OTHER = "other", pgettext_lazy("payment method", "Other")


class Payment(TimeStampedModel):
    """Money received against a contract (positive), or the reversal of such a receipt (negative)."""

    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    received_on = models.DateField(_("received on"))
    method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod)
    reference = models.CharField(_("reference"), max_length=100, blank=True, default="")
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            # A receipt is positive; its reversal is negative and points at it.
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(amount__gt=0)) | (Q(reverses__isnull=False) & Q(amount__lt=0)),
                name="payment_sign_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["-received_on", "-id"], name="payment_received"),
            models.Index(fields=["contract", "-received_on", "-id"], name="payment_contract_received"),
            models.Index(fields=["method", "-received_on", "-id"], name="payment_method_received"),
        ]

    def __str__(self) -> str:
        return f"{self.received_on} {self.amount}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class PaymentAllocation(models.Model):
    """The part of a payment that pays one instalment; a reversal's allocations mirror the original's."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    instalment = models.ForeignKey(Instalment, verbose_name=_("instalment"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["payment", "id"]
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="allocation_not_zero"),
            models.UniqueConstraint(fields=["payment", "instalment"], name="allocation_unique_instalment"),
        ]
        indexes = [models.Index(fields=["instalment"], name="allocation_instalment")]

    def __str__(self) -> str:
        return f"{self.payment_id}->{self.instalment_id}: {self.amount}"


class InvoiceKind(models.TextChoices):
    VAT_SPECIAL = "vat_special", _("VAT special invoice")
    VAT_GENERAL = "vat_general", _("VAT general invoice")
    OTHER = "other", pgettext_lazy("invoice type", "Other")


class Invoice(TimeStampedModel):
    """An invoice issued against a contract (positive), or the entry voiding one (negative)."""

    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("invoice type"), max_length=20, choices=InvoiceKind)
    number = models.CharField(_("invoice number"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    issued_on = models.DateField(_("issued on"))
    title = models.CharField(_("invoice title"), max_length=200)
    tax_id = models.CharField(_("taxpayer ID"), max_length=18, blank=True, default="")
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    voids = models.OneToOneField(
        "self", verbose_name=_("voids"), null=True, blank=True, on_delete=models.PROTECT, related_name="void_entry"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.CheckConstraint(
                condition=(Q(voids__isnull=True) & Q(amount__gt=0)) | (Q(voids__isnull=False) & Q(amount__lt=0)),
                name="invoice_sign_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "number"], condition=Q(voids__isnull=True), name="invoice_unique_number"
            ),
        ]
        indexes = [
            models.Index(fields=["-issued_on", "-id"], name="invoice_issued"),
            models.Index(fields=["contract", "-issued_on", "-id"], name="invoice_contract_issued"),
        ]

    def __str__(self) -> str:
        return self.number
