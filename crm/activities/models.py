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
