"""Approval flows (one per record kind), the running approvals snapshotted from them, and delegations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import TimeStampedModel


class ApproverKind(models.TextChoices):
    USER = "user", _("A named user")
    ROLE = "role", _("Anyone holding a role")
    MANAGER = "manager", _("The submitter's manager")
    MANAGER_CHAIN = "manager_chain", _("Several levels of managers")


class ApprovalFlow(TimeStampedModel):
    """The steps a record kind's approvals go through. Edits bump `version`; running approvals keep their copy."""

    kind = models.CharField(_("record type"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("approval flow")
        verbose_name_plural = _("approval flows")

    def __str__(self) -> str:
        return self.name


class ApprovalStep(models.Model):
    """One step of a flow: who approves, and when the step applies at all."""

    flow = models.ForeignKey(
        ApprovalFlow, verbose_name=_("approval flow"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=100)
    approver_kind = models.CharField(_("approver"), max_length=20, choices=ApproverKind, default=ApproverKind.MANAGER)
    approver_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approver_role = models.ForeignKey(
        "identity.Role", verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    levels = models.PositiveSmallIntegerField(_("levels of managers"), default=1)
    # [{"fact": "amount", "op": "gte", "value": "1000000"}, …], all of which must hold; see conditions.py.
    conditions = models.JSONField(_("conditions"), default=list, blank=True)

    class Meta:
        ordering = ["flow", "position", "id"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        constraints = [
            models.CheckConstraint(condition=Q(levels__gte=1, levels__lte=5), name="approval_step_levels_range"),
            models.CheckConstraint(
                condition=~Q(approver_kind="user") | Q(approver_user__isnull=False), name="approval_step_user_set"
            ),
            models.CheckConstraint(
                condition=~Q(approver_kind="role") | Q(approver_role__isnull=False), name="approval_step_role_set"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RequestStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval status", "Pending")
    APPROVED = "approved", pgettext_lazy("approval status", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval status", "Rejected")
    RETURNED = "returned", pgettext_lazy("approval status", "Returned for changes")
    WITHDRAWN = "withdrawn", pgettext_lazy("approval status", "Withdrawn")


class ApprovalRequest(models.Model):
    """One submission of one record; holds its own copy of the flow as it was at submission."""

    kind = models.CharField(_("record type"), max_length=40)
    target_id = models.BigIntegerField(_("record ID"))
    title = models.CharField(_("title"), max_length=200)
    url = models.CharField(_("link"), max_length=500, blank=True, default="")
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus, default=RequestStatus.PENDING)
    flow = models.ForeignKey(
        ApprovalFlow,
        verbose_name=_("approval flow"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    flow_name = models.CharField(_("approval flow"), max_length=100, blank=True, default="")
    flow_version = models.PositiveIntegerField(_("flow version"), null=True, blank=True)
    # The facts the step conditions were tested against, as they were at submission.
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    current_position = models.PositiveSmallIntegerField(_("current step"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            # A record runs at most one approval at a time; a second submission is a conflict, not a twin.
            models.UniqueConstraint(
                fields=["kind", "target_id"], condition=Q(status="pending"), name="approval_one_pending_per_record"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "target_id", "-id"], name="approval_request_target"),
            models.Index(fields=["submitter", "status", "-created_at"], name="approval_request_submitter"),
            models.Index(fields=["created_at", "id"], name="approval_request_created"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING


class StepStatus(models.TextChoices):
    WAITING = "waiting", pgettext_lazy("approval step status", "Not reached yet")
    PENDING = "pending", pgettext_lazy("approval step status", "Waiting for a decision")
    APPROVED = "approved", pgettext_lazy("approval step status", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval step status", "Rejected")
    RETURNED = "returned", pgettext_lazy("approval step status", "Returned for changes")
    SKIPPED = "skipped", pgettext_lazy("approval step status", "Skipped")
    CANCELLED = "cancelled", pgettext_lazy("approval step status", "Not needed")


class SkipReason(models.TextChoices):
    NONE = "", "—"
    CONDITION = "condition", _("Its condition does not hold")
    SUBMITTER = "submitter", _("The submitter is the only approver")
    TOP_OF_TREE = "top_of_tree", _("No manager above the submitter")


class RequestStep(models.Model):
    """A step of one running approval, copied from the flow with its approvers resolved at submission."""

    request = models.ForeignKey(
        ApprovalRequest, verbose_name=_("approval"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=100)
    approver_kind = models.CharField(_("approver"), max_length=20, choices=ApproverKind)
    # What the approver was configured as, e.g. a role's or a user's name at submission.
    approver_label = models.CharField(_("approver"), max_length=200, blank=True, default="")
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=StepStatus, default=StepStatus.WAITING)
    skip_reason = models.CharField(_("why skipped"), max_length=20, choices=SkipReason, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=1000, blank=True, default="")

    class Meta:
        ordering = ["request", "position"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="request_step_unique_position"),
        ]
        indexes = [
            models.Index(fields=["status", "request"], name="request_step_status"),
        ]

    def __str__(self) -> str:
        return self.name


class StepAssignee(models.Model):
    """A user who may decide a step (any one of them decides it)."""

    step = models.ForeignKey(
        RequestStep, verbose_name=_("approval step"), on_delete=models.CASCADE, related_name="assignees"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["step", "id"]
        verbose_name = _("approver")
        verbose_name_plural = _("approvers")
        constraints = [models.UniqueConstraint(fields=["step", "user"], name="step_assignee_unique")]
        indexes = [models.Index(fields=["user", "step"], name="step_assignee_user")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.step_id}"


class Delegation(models.Model):
    """While `user` is away (inclusive dates), `delegate` receives and may decide what is due to them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("delegate"), on_delete=models.CASCADE, related_name="+"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="delegation_dates_in_order"),
            models.CheckConstraint(condition=~Q(delegate=F("user")), name="delegation_not_to_self"),
        ]
        indexes = [
            models.Index(fields=["delegate", "ends_on"], name="delegation_delegate"),
            models.Index(fields=["user", "ends_on"], name="delegation_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.delegate_id}"
