"""Import jobs (one uploaded file, its mapping and what it did) and saved column mappings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import TimeStampedModel


class ObjectType(models.TextChoices):
    LEADS = "leads", _("Leads")
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")


class Mode(models.TextChoices):
    CREATE = "create", _("Create new records only")
    UPDATE = "update", _("Update existing records only")
    UPSERT = "upsert", _("Create or update")


class MatchKey(models.TextChoices):
    EXTERNAL_ID = "external_id", _("External ID")
    PHONE = "phone", pgettext_lazy("match key", "Phone")
    EMAIL = "email", pgettext_lazy("match key", "Email")
    NAME = "name", pgettext_lazy("match key", "Name")


class JobStatus(models.TextChoices):
    DRAFT = "draft", _("Being set up")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Checking rows")
    WRITING = "writing", _("Writing records")
    DONE = "done", pgettext_lazy("import status", "Done")
    FAILED = "failed", pgettext_lazy("import status", "Failed")
    REVERTED = "reverted", _("Reverted")


class ImportJob(TimeStampedModel):
    """One file imported (or checked, for a dry run) into one object type, and how to undo it."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(_("object type"), max_length=20, choices=ObjectType)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode, default=Mode.UPSERT)
    match_key = models.CharField(_("match on"), max_length=20, choices=MatchKey, default=MatchKey.EXTERNAL_ID)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus, default=JobStatus.DRAFT)
    file_name = models.CharField(_("file"), max_length=255)
    # The upload itself, so a worker on another machine can read it; capped by CRM_IMPORT_MAX_BYTES.
    file_data = models.BinaryField(editable=False)
    headers = models.JSONField(_("columns"), default=list, blank=True)
    # One field code per column of `headers` ("" = not imported).
    mapping = models.JSONField(_("mapping"), default=list, blank=True)
    # The first rows as [row number, cells], for the mapping and preview screens.
    sample_rows = models.JSONField(default=list, blank=True, editable=False)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    # [{"row": 7, "cells": [...], "reason": "..."}] — the file of rejected rows is built from it.
    rejected = models.JSONField(default=list, blank=True, editable=False)
    # [{"row": 7, "message": "..."}], capped; `warning_count` has the full number.
    warnings = models.JSONField(default=list, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True, default="")
    # What revert needs: ids created, and for updated records their version after the import
    # and the values they had before it.
    created_ids = models.JSONField(default=list, blank=True, editable=False)
    previous_values = models.JSONField(default=dict, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    reverted_at = models.DateTimeField(_("reverted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["created_by", "-created_at", "-id"], name="importjob_creator_created"),
            models.Index(fields=["-created_at", "-id"], name="importjob_created"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_active(self) -> bool:
        return self.status in {JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.WRITING}

    @property
    def percent(self) -> int:
        if self.status in {JobStatus.DONE, JobStatus.REVERTED} or self.status == JobStatus.WRITING:
            return 100
        return min(100, round(100 * self.processed_rows / self.total_rows)) if self.total_rows else 0


class MappingTemplate(TimeStampedModel):
    """A saved column mapping (file header → field code) for one object type, reused on later uploads."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saved by"), on_delete=models.CASCADE, related_name="+"
    )
    object_type = models.CharField(_("object type"), max_length=20, choices=ObjectType)
    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField(_("mapping"), default=dict)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mapping template")
        verbose_name_plural = _("mapping templates")
        constraints = [
            models.UniqueConstraint(fields=["created_by", "object_type", "name"], name="mappingtemplate_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
