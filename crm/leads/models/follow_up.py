"""Follow-ups on a lead (跟进记录): calls, visits, meetings, messages and notes before conversion."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.activities.models import ActivityKind
from crm.core.models import TimeStampedModel
from crm.leads.models.lead import Lead


class LeadFollowUp(TimeStampedModel):
    """One interaction with a lead, with the next step agreed. Visibility follows the lead's.

    Kept beside the lead rather than in `activities.Activity`, whose follow-ups belong to a
    customer (its `customer` is required and `activities` must not know about leads). The kinds
    are the same (`ActivityKind`), a planned next contact becomes an `activities.Task` linked by
    `related_type`/`related_id`, and after conversion the customer's page shows these follow-ups
    in its source-lead panel.
    """

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(_("type"), max_length=20, choices=ActivityKind, default=ActivityKind.CALL)
    content = models.TextField(_("content"))
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    next_step = models.CharField(_("next step"), max_length=500, blank=True, default="")
    next_contact_on = models.DateField(_("next contact date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("lead follow-up")
        verbose_name_plural = _("lead follow-ups")
        indexes = [models.Index(fields=["lead", "-occurred_at", "-id"], name="lead_follow_up_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.content[:40]}"
