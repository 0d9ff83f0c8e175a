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
    # Running totals of the contract's payments and invoices, written only by crm.payments' services under
    # this row's lock, so the receivables report reads one row per contract instead of summing the ledger;
    # the payments property tests check they always equal the ledger sums.
    collected = models.DecimalField(_("collected"), max_digits=16, decimal_places=2, default=Decimal(0), editable=False)
    invoiced = models.DecimalField(_("invoiced"), max_digits=16, decimal_places=2, default=Decimal(0), editable=False)
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
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    activated_at = models.DateTimeField(_("in force since"), null=True, blank=True, editable=False)
    terminated_at = models.DateTimeField(_("terminated at"), null=True, blank=True, editable=False)
    termination_reason = models.CharField(_("reason for termination"), max_length=500, blank=True, default="")
    # Set once when the owner is told the end date is near, so the reminder job never repeats itself.
    renewal_notified_at = models.DateTimeField(_("renewal reminder sent at"), null=True, blank=True, editable=False)
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
            models.Index(fields=["signed_on", "id"], name="contract_signed_on"),
            models.Index(fields=["-amount", "-id"], name="contract_amount"),
            # A rep's own contracts by amount: without it SQLite sorted all of the rep's contracts per page.
            models.Index(fields=["owner", "-amount", "-id"], name="contract_owner_amount"),
            models.Index(fields=["deal"], condition=Q(deal__isnull=False), name="contract_deal"),
            # Covers the receivables report: grouped by owner, team or customer, the signed contracts' sums
            # come from the index alone, without reading the wide contract rows.
            models.Index(
                fields=["status", "owner", "team", "customer", "amount", "collected", "invoiced"],
                condition=Q(deleted_at__isnull=True),
                name="contract_receivables",
            ),
            # The renewal and expiry jobs read only active contracts by end date.
            models.Index(
                fields=["ends_on"],
                condition=Q(status="active", deleted_at__isnull=True),
                name="contract_active_ends_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_editable(self) -> bool:
        """Only a draft changes: a contract waiting for approval, or in force, is what was agreed."""
        return self.status == ContractStatus.DRAFT


class ContractLine(models.Model):
    """A product line carried from the quote (or typed in): quantities, prices and the line total incl. tax."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "quotes.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("item"), max_length=300)
    sku = models.CharField(_("SKU"), max_length=50, blank=True, default="")
    unit = models.CharField(_("unit"), max_length=20, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=2)
    discount_percent = models.DecimalField(_("discount (%)"), default=Decimal(0), max_digits=5, decimal_places=2)
    tax_rate = models.DecimalField(_("tax rate (%)"), default=Decimal(0), max_digits=5, decimal_places=2)
    total = models.DecimalField(_("total (incl. tax)"), default=Decimal(0), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["contract", "position", "id"]
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="contract_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="contract_line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="contract_line_discount_range"
            ),
        ]
        indexes = [models.Index(fields=["contract", "position", "id"], name="contract_line_contract")]

    def __str__(self) -> str:
        return self.name


class ContractAttachment(models.Model):
    """A file kept with a contract (the signed scan); served only through a permission-checked download."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="contracts/%Y/%m/", max_length=300)
    file_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["contract", "-uploaded_at", "-id"]
        verbose_name = _("contract attachment")
        verbose_name_plural = _("contract attachments")
        indexes = [models.Index(fields=["contract", "-uploaded_at"], name="contract_attachment_contract")]

    def __str__(self) -> str:
        return self.file_name


class ContractSettings(models.Model):
    """The organisation's contract settings: one row, edited by administrators."""

    number_pattern = models.CharField(_("number pattern"), max_length=60, default="HT-{yyyy}-{seq:05d}")
    renewal_notice_days = models.PositiveIntegerField(_("renewal reminder (days before the end date)"), default=30)
    our_party = models.CharField(_("our signing entity"), max_length=200, blank=True, default="")
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("contract settings")
        verbose_name_plural = _("contract settings")

    def __str__(self) -> str:
        return self.number_pattern


class ContractNumberSequence(models.Model):
    """The last number handed out for one number prefix (the pattern with its date parts filled in).

    Its row lock serialises numbering, so two contracts created at once never share a number.
    """

    scope = models.CharField(max_length=80, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("contract number sequence")
        verbose_name_plural = _("contract number sequences")

    def __str__(self) -> str:
        return f"{self.scope}: {self.last_number}"


class ContractTemplate(VersionedModel, TimeStampedModel):
    """HTML with placeholders ({{ contract.number }}, {{ customer.name }}, a lines loop) rendered to PDF."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    body = models.TextField(_("template"))
    is_default = models.BooleanField(_("default template"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")

    def __str__(self) -> str:
        return self.name
