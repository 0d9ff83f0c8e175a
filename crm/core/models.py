"""Abstract base models every domain model builds on."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        abstract = True


class LiveManager[M: models.Model](models.Manager[M]):
    """Hides soft-deleted rows; the recycle bin reads through `all_objects`."""

    def get_queryset(self) -> models.QuerySet[M]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    """A row a user can delete and restore; deleting only stamps `deleted_at`."""

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    # The live manager comes first: Django makes the first manager the default.
    objects = LiveManager()
    all_objects = models.Manager()  # noqa: DJ012

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class VersionedModel(models.Model):
    """Optimistic locking: writers update `WHERE version = <the version they read>`."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class ScheduledSlot(models.Model):
    """One due run of a periodic job; the unique key lets any number of schedulers run safely.

    Each scheduler tries to insert (job, slot) when a slot falls due; only the insert that wins
    enqueues the task, so a job runs once per slot however many workers carry a scheduler.
    """

    job = models.CharField(_("job"), max_length=100)
    slot = models.DateTimeField(_("due at"))
    enqueued_at = models.DateTimeField(_("enqueued at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduled_slot_unique")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"
