"""Customers, contacts and tags."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import SoftDeleteModel, TimeStampedModel, VersionedModel


class Grade(models.TextChoices):
    A = "A", _("A · key")
    B = "B", _("B · important")
    C = "C", _("C · ordinary")
    D = "D", _("D · low priority")


class CompanySize(models.TextChoices):
    MICRO = "1-20", _("1–20 people")
    SMALL = "21-100", _("21–100 people")
    MEDIUM = "101-500", _("101–500 people")
    LARGE = "501-2000", _("501–2,000 people")
    ENTERPRISE = "2000+", _("More than 2,000 people")


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    QUALIFIED = "qualified", _("Qualified")
    NEGOTIATING = "negotiating", _("Negotiating")
    CUSTOMER = "customer", pgettext_lazy("lifecycle stage", "Customer")
    REPEAT = "repeat", _("Repeat customer")
    CHURNED = "churned", _("Churned")


class CustomerSource(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    WEBSITE = "website", _("Website")
    EXHIBITION = "exhibition", _("Exhibition")
    COLD_CALL = "cold_call", _("Cold call")
    ADVERTISING = "advertising", _("Advertising")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class DealRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", pgettext_lazy("deal role", "User")
    TECHNICAL = "technical", _("Technical evaluator")
    PURCHASING = "purchasing", _("Purchasing")
    OTHER = "other", _("Other")


class Tag(TimeStampedModel):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class OwnedRecord(SoftDeleteModel, VersionedModel, TimeStampedModel):
    """A record with an owner; `team` is the owner's team, kept right on every transfer."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_id = models.CharField(_("external ID"), max_length=100, null=True, blank=True)
    search_text = models.TextField(default="", editable=False)
    # The duplicate-check key of the name (crm.customers.duplicates.normalise), kept by services.
    name_key = models.CharField(max_length=200, default="", editable=False)

    class Meta:
        abstract = True


class Customer(OwnedRecord):
    """A company the organisation sells to."""

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, default="")
    grade = models.CharField(_("grade"), max_length=1, choices=Grade, blank=True, default="")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    industry = models.CharField(_("industry"), max_length=50, blank=True, default="")
    province = models.CharField(_("province"), max_length=30, blank=True, default="")
    city = models.CharField(_("city"), max_length=30, blank=True, default="")
    district = models.CharField(_("district"), max_length=30, blank=True, default="")
    street = models.CharField(_("street address"), max_length=200, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, default="")
    size = models.CharField(_("company size"), max_length=10, choices=CompanySize, blank=True, default="")
    annual_revenue = models.DecimalField(_("annual revenue"), max_digits=18, decimal_places=2, null=True, blank=True)
    revenue_currency = models.CharField(_("currency"), max_length=3, default="CNY")
    website = models.URLField(_("website"), max_length=200, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    source = models.CharField(_("source"), max_length=20, choices=CustomerSource, blank=True, default="")
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=20, choices=LifecycleStage, default=LifecycleStage.PROSPECT
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    # The latest live follow-up's time, kept by the activities services (this app sits below them).
    last_follow_up_at = models.DateTimeField(_("last follow-up"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=Q(external_id__isnull=False), name="customer_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="customer_created"),
            models.Index(fields=["-updated_at", "-id"], name="customer_updated"),
            models.Index(fields=["name", "id"], name="customer_name"),
            models.Index(fields=["owner", "-created_at", "-id"], name="customer_owner_created"),
            # A rep sees their own records: each sort the list offers needs its own (owner, sort) index,
            # or the list sorts every record the rep owns.
            models.Index(fields=["owner", "name", "id"], name="customer_owner_name"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="customer_owner_updated"),
            models.Index(fields=["team", "-created_at", "-id"], name="customer_team_created"),
            models.Index(fields=["grade", "-created_at", "-id"], name="customer_grade_created"),
            models.Index(fields=["industry", "-created_at", "-id"], name="customer_industry_created"),
            models.Index(fields=["province", "city", "-created_at"], name="customer_region_created"),
            # A province alone, newest first: with the city between them the index above leaves the
            # province's customers to be sorted (0.4 s at a million customers).
            models.Index(fields=["province", "-created_at", "-id"], name="customer_province_created"),
            # Duplicate check: indexed equality on each match key, and ordered scans for blocking. A blank
            # value is no key, and most rows leave some keys blank: partial indexes keep the blanks out,
            # so SQLite's statistics see selective keys (crm.customers.duplicates.keys says why).
            models.Index(fields=["name_key", "id"], condition=~Q(name_key=""), name="customer_name_key"),
            models.Index(fields=["credit_code", "id"], condition=~Q(credit_code=""), name="customer_credit_code"),
            models.Index(fields=["phone", "id"], condition=~Q(phone=""), name="customer_phone"),
            models.Index(fields=["email", "id"], condition=~Q(email=""), name="customer_email"),
            # Only deleted rows, in recycle-bin order: an index of every row's deleted_at would
            # tempt SQLite into answering `deleted_at IS NULL` lists from it and sorting them all.
            models.Index(
                fields=["-updated_at", "-id"], condition=Q(deleted_at__isnull=False), name="customer_deleted_updated"
            ),
            # The neglect check: per grade, the customers whose last follow-up is older than a cutoff.
            models.Index(fields=["grade", "last_follow_up_at"], name="customer_grade_follow_up"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def neglected_since(self) -> dt.datetime | None:
        """When the neglect check flagged this customer (None: not flagged). Lists select the flag with
        the customer (`select_related("neglect_flag")`); elsewhere reading this costs one query."""
        flag: NeglectFlag | None = getattr(self, "neglect_flag", None)
        return flag.since if flag is not None else None

    @property
    def region(self) -> str:
        return " ".join(part for part in (self.province, self.city, self.district) if part)


class Contact(OwnedRecord):
    """A person, usually at a customer."""

    name = models.CharField(_("name"), max_length=100)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    title = models.CharField(_("job title"), max_length=100, blank=True, default="")
    deal_role = models.CharField(_("role in the deal"), max_length=20, choices=DealRole, blank=True, default="")
    mobile = models.CharField(_("mobile"), max_length=32, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    wechat = models.CharField(_("WeChat"), max_length=100, blank=True, default="")
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=Q(external_id__isnull=False), name="contact_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="contact_created"),
            models.Index(fields=["-updated_at", "-id"], name="contact_updated"),
            models.Index(fields=["name", "id"], name="contact_name"),
            models.Index(fields=["owner", "-created_at", "-id"], name="contact_owner_created"),
            models.Index(fields=["owner", "name", "id"], name="contact_owner_name"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="contact_owner_updated"),
            models.Index(fields=["team", "-created_at", "-id"], name="contact_team_created"),
            models.Index(fields=["customer", "-created_at"], name="contact_customer"),
            models.Index(fields=["name_key", "id"], condition=~Q(name_key=""), name="contact_name_key"),
            models.Index(fields=["mobile", "id"], condition=~Q(mobile=""), name="contact_mobile"),
            models.Index(fields=["phone", "id"], condition=~Q(phone=""), name="contact_phone"),
            models.Index(fields=["email", "id"], condition=~Q(email=""), name="contact_email"),
            models.Index(
                fields=["-updated_at", "-id"], condition=Q(deleted_at__isnull=False), name="contact_deleted_updated"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class NeglectFlag(models.Model):
    """A customer the neglect check (crm.customers.neglect) found without follow-up for too long.

    A narrow table of its own rather than columns on the customer: flagging, clearing and marking
    people told then write a row of four columns, not a new version of the wide customer row with
    every one of its indexes (PostgreSQL cannot update a row in place when an indexed column
    changes); a first run can flag most of a million customers.
    """

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="neglect_flag", verbose_name=_("customer")
    )
    since = models.DateTimeField(_("neglected since"))
    # None until the check has told the owner (again after a handover) and the team's managers.
    owner_told_at = models.DateTimeField(null=True, blank=True)
    manager_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("neglected-customer flag")
        verbose_name_plural = _("neglected-customer flags")

    def __str__(self) -> str:
        return f"neglect flag {self.customer_id}"


class NeglectSettings(TimeStampedModel):
    """How many days without a follow-up make a customer neglected (one row; blank = the default).

    A grade left blank uses `default_days`; a blank `default_days` turns the check off for those.
    """

    default_days = models.PositiveSmallIntegerField(_("default (days)"), null=True, blank=True, default=30)
    grade_a_days = models.PositiveSmallIntegerField(_("grade A (days)"), null=True, blank=True, default=7)
    grade_b_days = models.PositiveSmallIntegerField(_("grade B (days)"), null=True, blank=True, default=14)
    grade_c_days = models.PositiveSmallIntegerField(_("grade C (days)"), null=True, blank=True, default=30)
    grade_d_days = models.PositiveSmallIntegerField(_("grade D (days)"), null=True, blank=True)
    manager_after_days = models.PositiveSmallIntegerField(_("tell the manager after (days)"), default=7)

    class Meta:
        verbose_name = _("neglected-customer settings")
        verbose_name_plural = _("neglected-customer settings")

    def __str__(self) -> str:
        return "neglect settings"

    def days_for(self, grade: str) -> int | None:
        """The threshold for customers of `grade` ("" for none)."""
        own = {
            Grade.A: self.grade_a_days,
            Grade.B: self.grade_b_days,
            Grade.C: self.grade_c_days,
            Grade.D: self.grade_d_days,
        }.get(grade)  # type: ignore[call-overload]
        return own if own is not None else self.default_days


# Duplicate check (查重) and merge --------------------------------------------------------


class DuplicateMode(models.TextChoices):
    BLOCK = "block", _("Block: refuse likely duplicates")
    WARN = "warn", _("Warn: show the candidates, save only when confirmed")
    ALLOW = "allow", _("Allow: no duplicate check")


class MatchObject(models.TextChoices):
    LEADS = "leads", _("Leads")
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")


class DuplicatePolicy(TimeStampedModel):
    """What a create or edit does when it finds likely duplicates, per object type (default: warn)."""

    object_type = models.CharField(_("object"), max_length=20, choices=MatchObject, unique=True)
    mode = models.CharField(_("when duplicates are found"), max_length=10, choices=DuplicateMode)

    class Meta:
        verbose_name = _("duplicate policy")
        verbose_name_plural = _("duplicate policies")

    def __str__(self) -> str:
        return f"{self.object_type}: {self.mode}"


class DismissedPair(models.Model):
    """A pair someone marked "not a duplicate"; scans leave it out from then on (smaller id first)."""

    object_type = models.CharField(_("object"), max_length=20, choices=MatchObject)
    left_id = models.BigIntegerField()
    right_id = models.BigIntegerField()
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("dismissed duplicate pair")
        verbose_name_plural = _("dismissed duplicate pairs")
        constraints = [
            models.UniqueConstraint(fields=["object_type", "left_id", "right_id"], name="dismissed_pair_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.left_id}/{self.right_id}"


class Merge(models.Model):
    """One merge of `loser` into `survivor`, with what undoing it needs.

    `survivor_before` holds the survivor's values that the merge overwrote, `moved` the ids of
    the related rows re-pointed per relation ("app.Model.field": [ids]), so an undo puts back
    exactly those rows and values.
    """

    object_type = models.CharField(_("object"), max_length=20, choices=MatchObject)
    survivor_id = models.BigIntegerField(_("kept record"))
    loser_id = models.BigIntegerField(_("merged record"))
    survivor_before = models.JSONField(default=dict)
    survivor_after = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now, editable=False)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        indexes = [
            models.Index(fields=["object_type", "survivor_id"], name="merge_survivor"),
            models.Index(fields=["object_type", "loser_id"], name="merge_loser"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.loser_id} → {self.survivor_id}"


class ScanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DuplicateScan(models.Model):
    """One run of the duplicate scan over the records its requester may see."""

    object_type = models.CharField(_("object"), max_length=20, choices=MatchObject)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=ScanStatus, default=ScanStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    pairs_found = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("started at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        indexes = [models.Index(fields=["requested_by", "object_type", "-created_at"], name="duplicate_scan_latest")]

    def __str__(self) -> str:
        return f"{self.object_type} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0


class ScanPair(models.Model):
    """A likely duplicate pair found by a scan (smaller id on the left)."""

    scan = models.ForeignKey(DuplicateScan, on_delete=models.CASCADE, related_name="pairs")
    left_id = models.BigIntegerField()
    right_id = models.BigIntegerField()
    left_external_id = models.CharField(max_length=100, blank=True, default="")
    right_external_id = models.CharField(max_length=100, blank=True, default="")
    left_name = models.CharField(max_length=200, blank=True, default="")
    right_name = models.CharField(max_length=200, blank=True, default="")
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["-score", "-id"]
        indexes = [models.Index(fields=["scan", "-score", "-id"], name="scan_pair_score")]

    def __str__(self) -> str:
        return f"{self.left_id}/{self.right_id} ({self.score})"
