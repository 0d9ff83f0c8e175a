"""Follow-up records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import SoftDeleteModel, TimeStampedModel, VersionedModel


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    MEETING = "meeting", _("Meeting")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", pgettext_lazy("follow-up type", "Email")
    NOTE = "note", _("Note")


class Activity(SoftDeleteModel, VersionedModel, TimeStampedModel):
    """One interaction with a customer. Visibility follows the customer's."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="activities"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    kind = models.CharField(_("type"), max_length=20, choices=ActivityKind, default=ActivityKind.CALL)
    content = models.TextField(_("content"))
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    next_step = models.CharField(_("next step"), max_length=500, blank=True, default="")
    next_contact_on = models.DateField(_("next contact date"), null=True, blank=True)
    is_next_contact_done = models.BooleanField(_("next contact done"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_id = models.CharField(_("external ID"), max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=Q(external_id__isnull=False), name="activity_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="activity_customer_time"),
            models.Index(
                fields=["owner", "next_contact_on"],
                condition=Q(is_next_contact_done=False, next_contact_on__isnull=False),
                name="activity_owner_due",
            ),
            models.Index(fields=["-occurred_at", "-id"], name="activity_time"),
            models.Index(fields=["-created_at", "-id"], name="activity_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.content[:40]}"


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    DONE = "done", pgettext_lazy("task status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("task status", "Cancelled")


class Task(SoftDeleteModel, VersionedModel, TimeStampedModel):
    """Something a person must do by a day (and optionally a time), perhaps about a record.

    A follow-up's "next step / next contact date" becomes a task, so one list holds everything due.
    `related_type`/`related_id` point at records of apps above this one (a deal, a contract) without
    importing them.
    """

    title = models.CharField(_("task"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, default="")
    due_on = models.DateField(_("due date"))
    due_time = models.TimeField(_("due time"), null=True, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=TaskStatus, default=TaskStatus.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    related_type = models.CharField(_("related record type"), max_length=50, blank=True, default="")
    related_id = models.BigIntegerField(_("related record ID"), null=True, blank=True)
    source_activity = models.ForeignKey(
        Activity,
        verbose_name=_("planned in follow-up"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_tasks",
    )
    external_id = models.CharField(_("external ID"), max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=Q(external_id__isnull=False), name="task_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_on", "id"], name="task_owner_status_due"),
            models.Index(fields=["team", "status", "due_on", "id"], name="task_team_status_due"),
            models.Index(fields=["status", "due_on", "id"], name="task_status_due"),
            models.Index(
                fields=["remind_at"],
                condition=Q(status="open", reminded_at__isnull=True, remind_at__isnull=False),
                name="task_reminder_due",
            ),
            models.Index(fields=["customer", "status", "due_on"], name="task_customer"),
            # A deal's open tasks, soonest first: with the status and order in the index, the page reads its
            # 20 rows in order. Partial: most tasks belong to no record, and counted in SQLite's statistics
            # they made the index look unselective, so it scanned every open task by due date instead.
            models.Index(
                fields=["related_type", "related_id", "status", "due_on", "id"],
                condition=Q(related_id__isnull=False),
                name="task_related_status_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN


class CalendarFeed(TimeStampedModel):
    """A user's secret calendar address; only its hash is stored, like an API token's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"calendar of {self.user_id}"
