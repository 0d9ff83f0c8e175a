"""One message in one user's inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    DUPLICATE_COLLISION = "duplicate_collision", _("Someone else found your record")
    LEAD_ASSIGNED = "lead_assigned", _("Lead assigned to you")
    IMPORT_FINISHED = "import_finished", _("Import finished")
    TASK_REMINDER = "task_reminder", _("Task reminder")
    DAILY_DIGEST = "daily_digest", _("Daily digest")
    STALLED_DEALS = "stalled_deals", _("Stalled deals")
    NEGLECTED_CUSTOMERS = "neglected_customers", _("Customers without follow-up")
    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    APPROVAL_DECIDED = "approval_decided", _("Approval decided")
    CONTRACT_RENEWAL = "contract_renewal", _("Contract renewal due")
    INSTALMENT_OVERDUE = "instalment_overdue", _("Payment overdue")
    GENERAL = "general", _("Notice")


class Notification(models.Model):
    """Written in the same transaction as the change it reports, so it is never lost or early.

    The text is stored already rendered in the recipient's language: a notice reads the same
    tomorrow even if the record it mentions is renamed or deleted.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("type"), max_length=40, choices=NotificationKind, default=NotificationKind.GENERAL)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True, default="")
    url = models.CharField(_("link"), max_length=500, blank=True, default="")
    target_type = models.CharField(_("record type"), max_length=50, blank=True, default="")
    target_id = models.BigIntegerField(_("record ID"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
