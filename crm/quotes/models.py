"""The product catalogue, price lists, discount limits per role, and versioned quotes with their lines."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import TimeStampedModel, VersionedModel


class Product(VersionedModel, TimeStampedModel):
    """Something the company sells, with its list price and tax rate."""

    sku = models.CharField(_("SKU"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20, default="个")
    list_price = models.DecimalField(_("list price"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    tax_rate = models.DecimalField(_("tax rate (%)"), default=Decimal(13), max_digits=5, decimal_places=2)
    description = models.TextField(_("description"), blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sku", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="product_tax_rate_range"),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="product_name"),
            models.Index(fields=["is_active", "sku", "id"], name="product_active_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class PriceList(VersionedModel, TimeStampedModel):
    """A named set of prices (e.g. channel partners, 2026 education) overriding list prices."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    """One product's price in one price list."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+")
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["price_list", "product__sku", "id"]
        verbose_name = _("price list entry")
        verbose_name_plural = _("price list entries")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="price_list_item_unique"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="price_list_item_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}:{self.product_id}"


class DiscountLimit(TimeStampedModel):
    """The largest discount a role may give without a manager's approval."""

    role = models.OneToOneField(
        "identity.Role", verbose_name=_("role"), on_delete=models.CASCADE, related_name="discount_limit"
    )
    max_line_discount = models.DecimalField(
        _("largest line discount (%)"), default=Decimal(0), max_digits=5, decimal_places=2
    )
    max_quote_discount = models.DecimalField(
        _("largest overall discount (%)"), default=Decimal(0), max_digits=5, decimal_places=2
    )

    class Meta:
        ordering = ["role__name", "id"]
        verbose_name = _("discount limit")
        verbose_name_plural = _("discount limits")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_line_discount__gte=0, max_line_discount__lte=100), name="discount_limit_line_range"
            ),
            models.CheckConstraint(
                condition=Q(max_quote_discount__gte=0, max_quote_discount__lte=100), name="discount_limit_quote_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role_id}: {self.max_line_discount}% / {self.max_quote_discount}%"


class QuoteNumberSequence(models.Model):
    """The last quote number handed out in a year; its row lock serialises numbering."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("quote number sequence")
        verbose_name_plural = _("quote number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("quote status", "Draft")
    PENDING_APPROVAL = "pending_approval", pgettext_lazy("quote status", "Pending approval")
    APPROVED = "approved", pgettext_lazy("quote status", "Approved")
    REJECTED = "rejected", pgettext_lazy("quote status", "Rejected")
    SENT = "sent", pgettext_lazy("quote status", "Sent")
    ACCEPTED = "accepted", pgettext_lazy("quote status", "Accepted")
    DECLINED = "declined", pgettext_lazy("quote status", "Declined")


# Statuses in which the lines and terms may still change; any change sends the quote back to draft.
EDITABLE_STATUSES = frozenset({QuoteStatus.DRAFT, QuoteStatus.APPROVED, QuoteStatus.REJECTED})


class Quote(VersionedModel, TimeStampedModel):
    """One revision (v1, v2 …) of a priced offer on a deal; revisions of one offer share a number.

    `version` is the optimistic lock every write checks; `revision` is the v1/v2 a customer sees.
    """

    deal = models.ForeignKey("deals.Deal", verbose_name=_("deal"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("quote number"), max_length=20)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    is_superseded = models.BooleanField(_("superseded by a newer revision"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=QuoteStatus, default=QuoteStatus.DRAFT)
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    discount_percent = models.DecimalField(
        _("overall discount (%)"), default=Decimal(0), max_digits=5, decimal_places=2
    )
    subtotal = models.DecimalField(_("subtotal"), default=Decimal(0), max_digits=16, decimal_places=2)
    tax_amount = models.DecimalField(_("tax"), default=Decimal(0), max_digits=16, decimal_places=2)
    total = models.DecimalField(_("total"), default=Decimal(0), max_digits=16, decimal_places=2)
    notes = models.TextField(_("notes"), blank=True, default="")
    terms = models.TextField(_("terms"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approval requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approval_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approval_decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    approval_comment = models.CharField(_("approval comment"), max_length=500, blank=True, default="")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.EmailField(_("sent to"), blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="quote_unique_number_revision"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="quote_discount_range"
            ),
        ]
        indexes = [
            models.Index(fields=["deal", "-created_at", "-id"], name="quote_deal_created"),
            models.Index(fields=["deal", "sent_at"], name="quote_deal_sent"),
            models.Index(fields=["status", "-created_at", "-id"], name="quote_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.revision}"

    @property
    def label(self) -> str:
        return str(self)

    @property
    def is_editable(self) -> bool:
        return not self.is_superseded and self.status in EDITABLE_STATUSES


class QuoteLine(models.Model):
    """A product (or a free-text item) with quantity, unit price, discount and tax; amounts are stored."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300)
    unit = models.CharField(_("unit"), max_length=20, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=2)
    discount_percent = models.DecimalField(_("discount (%)"), default=Decimal(0), max_digits=5, decimal_places=2)
    tax_rate = models.DecimalField(_("tax rate (%)"), default=Decimal(0), max_digits=5, decimal_places=2)
    net_amount = models.DecimalField(_("net amount"), default=Decimal(0), max_digits=16, decimal_places=2)
    tax_amount = models.DecimalField(_("tax"), default=Decimal(0), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["quote", "position", "id"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quote_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quote_line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="quote_line_discount_range"
            ),
        ]
        indexes = [models.Index(fields=["quote", "position", "id"], name="quote_line_quote")]

    def __str__(self) -> str:
        return self.description
