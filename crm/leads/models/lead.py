"""Leads: who showed interest, through which channel, and what became of them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.customers.models import Contact, Customer, OwnedRecord


class Channel(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", pgettext_lazy("lead channel", "Import")
    API = "api", pgettext_lazy("lead channel", "API")
    MANUAL = "manual", _("Entered by hand")
    EVENT = "event", _("Event")
    REFERRAL = "referral", _("Referral")
    ADVERTISING = "advertising", _("Advertising")
    OTHER = "other", _("Other")


class LeadStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("lead status", "New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", pgettext_lazy("lead status", "Qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")
    CONVERTED = "converted", _("Converted")


class Lead(OwnedRecord):
    """A person or company that showed interest, not yet a customer."""

    name = models.CharField(_("name"), max_length=100)
    company_name = models.CharField(_("company name"), max_length=200, blank=True, default="")
    title = models.CharField(_("job title"), max_length=100, blank=True, default="")
    mobile = models.CharField(_("mobile"), max_length=32, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    wechat = models.CharField(_("WeChat"), max_length=100, blank=True, default="")
    province = models.CharField(_("province"), max_length=30, blank=True, default="")
    city = models.CharField(_("city"), max_length=30, blank=True, default="")
    industry = models.CharField(_("industry"), max_length=50, blank=True, default="")
    annual_revenue = models.DecimalField(
        _("annual revenue (CNY)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    channel = models.CharField(_("lead source"), max_length=20, choices=Channel, default=Channel.MANUAL)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True, default="")
    raw_submission = models.JSONField(_("raw submission"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=LeadStatus, default=LeadStatus.NEW)
    unqualified_reason = models.CharField(_("reason unqualified"), max_length=500, blank=True, default="")
    converted_customer = models.ForeignKey(
        Customer,
        verbose_name=_("converted to customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    converted_contact = models.ForeignKey(
        Contact,
        verbose_name=_("converted to contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    # Set once, by the first status change away from "new" (or conversion): time to first contact.
    first_contacted_at = models.DateTimeField(_("first contacted at"), null=True, blank=True, editable=False)
    # Kept by the follow-up service: when the latest follow-up happened (engagement scoring reads it).
    last_followed_up_at = models.DateTimeField(_("last followed up at"), null=True, blank=True, editable=False)
    # Kept by crm.leads.scoring: the score, its top reasons [{"points", "text"}] and when it was worked out.
    score = models.IntegerField(_("score"), default=0, editable=False)
    score_reasons = models.JSONField(_("score reasons"), default=list, blank=True, editable=False)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True, editable=False)
    # Kept by crm.leads.assignment: which rule chose the owner, and why.
    assignment_rule = models.ForeignKey(
        "leads.AssignmentRule",
        verbose_name=_("assignment rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    assignment_reason = models.CharField(_("assignment reason"), max_length=300, blank=True, default="", editable=False)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=Q(external_id__isnull=False), name="lead_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="lead_created"),
            models.Index(fields=["-updated_at", "-id"], name="lead_updated"),
            models.Index(fields=["name", "id"], name="lead_name"),
            models.Index(fields=["owner", "-created_at", "-id"], name="lead_owner_created"),
            # A rep's own leads in the list's other sorts, without sorting every lead they own.
            models.Index(fields=["owner", "name", "id"], name="lead_owner_name"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="lead_owner_updated"),
            models.Index(fields=["team", "-created_at", "-id"], name="lead_team_created"),
            models.Index(fields=["status", "-created_at", "-id"], name="lead_status_created"),
            models.Index(fields=["channel", "-created_at", "-id"], name="lead_channel_created"),
            models.Index(fields=["campaign", "-created_at", "-id"], name="lead_campaign_created"),
            # The channel quality report: the leads created in a period, counted and timed per channel or
            # campaign from the index alone (owner and team for the visibility rule, the id for PostgreSQL's
            # counts, deleted_at, always empty, for SQLite: see deal_closed); without it each of its queries
            # reads every lead of the period from the table.
            models.Index(
                fields=[
                    "created_at",
                    "channel",
                    "campaign",
                    "status",
                    "first_contacted_at",
                    "converted_at",
                    "owner",
                    "team",
                    "id",
                    "deleted_at",
                ],
                condition=Q(deleted_at__isnull=True),
                name="lead_channel_quality",
            ),
            models.Index(fields=["-score", "-id"], name="lead_score"),
            models.Index(fields=["status", "-score", "-id"], name="lead_status_score"),
            models.Index(fields=["owner", "status"], name="lead_owner_status"),
            models.Index(fields=["assignment_rule"], name="lead_assignment_rule"),
            # The duplicate check (查重) looks leads up by each of its keys; blanks are no keys (partial).
            models.Index(fields=["name_key", "id"], condition=~Q(name_key=""), name="lead_name_key"),
            models.Index(fields=["mobile", "id"], condition=~Q(mobile=""), name="lead_mobile"),
            models.Index(fields=["phone", "id"], condition=~Q(phone=""), name="lead_phone"),
            models.Index(fields=["email", "id"], condition=~Q(email=""), name="lead_email"),
            models.Index(fields=["converted_customer"], name="lead_converted_customer"),
            models.Index(fields=["converted_contact"], name="lead_converted_contact"),
            models.Index(
                fields=["-updated_at", "-id"], condition=Q(deleted_at__isnull=False), name="lead_deleted_updated"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def region(self) -> str:
        return " ".join(part for part in (self.province, self.city) if part)

    @property
    def is_converted(self) -> bool:
        return self.status == LeadStatus.CONVERTED
