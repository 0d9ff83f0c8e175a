"""The audit log table."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.audit.labels import RelatedNames, field_label, model_of, type_label, value_label
from crm.core.actors import Source


class Verb(models.TextChoices):
    CREATE = "create", pgettext_lazy("audit action", "Created")
    UPDATE = "update", pgettext_lazy("audit action", "Changed")
    DELETE = "delete", pgettext_lazy("audit action", "Deleted")
    RESTORE = "restore", pgettext_lazy("audit action", "Restored")
    EXPORT = "export", pgettext_lazy("audit action", "Exported")
    LOGIN = "login", pgettext_lazy("audit action", "Signed in")
    LOGIN_FAILED = "login_failed", pgettext_lazy("audit action", "Failed sign-in")
    LOGOUT = "logout", pgettext_lazy("audit action", "Signed out")
    DEACTIVATE = "deactivate", pgettext_lazy("audit action", "Deactivated")
    ACTIVATE = "activate", pgettext_lazy("audit action", "Reactivated")
    PASSWORD_CHANGE = "password_change", pgettext_lazy("audit action", "Changed password")
    TOKEN_CREATE = "token_create", pgettext_lazy("audit action", "Created API token")
    TOKEN_REVOKE = "token_revoke", pgettext_lazy("audit action", "Revoked API token")
    MERGE = "merge", pgettext_lazy("audit action", "Merged")
    UNMERGE = "unmerge", pgettext_lazy("audit action", "Merge undone")
    ASSIGN = "assign", pgettext_lazy("audit action", "Assigned")


class AuditEntry(models.Model):
    """One thing that happened to one record. Never updated, never deleted."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    actor_name = models.CharField(_("actor"), max_length=150)
    source = models.CharField(_("source"), max_length=10, choices=Source)
    verb = models.CharField(_("action"), max_length=20, choices=Verb)
    target_type = models.CharField(_("object type"), max_length=50)
    target_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    target_version = models.PositiveIntegerField(null=True, blank=True)
    # {"field": [old, new]} for changes; free-form details for exports and logins.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["target_type", "target_id", "-id"], name="audit_target"),
            models.Index(fields=["actor_id", "-id"], name="audit_actor"),
            models.Index(fields=["verb", "-id"], name="audit_verb"),
            models.Index(fields=["created_at"], name="audit_created"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.verb} {self.target_type}#{self.target_id}"

    def change_rows(self) -> list[tuple[str, object, object]]:
        """(field, old, new) for field changes; details such as export filters as (key, None, value)."""
        rows: list[tuple[str, object, object]] = []
        for key, value in (self.changes or {}).items():
            if isinstance(value, list) and len(value) == 2:
                rows.append((key, value[0], value[1]))
            else:
                rows.append((key, None, value))
        return rows

    def target_label(self) -> str:
        return type_label(self.target_type)

    def labelled_change_rows(
        self, names: RelatedNames | None = None, mask: Callable[[str, object], object] | None = None
    ) -> list[tuple[str, object, object]]:
        """`change_rows` as people read them: field labels, choice labels, Yes/No, related names.

        `mask(field, value)` lets the caller hide values the viewer may not read (phone numbers, emails).
        """
        model = model_of(self.target_type)
        rows = []
        for key, old, new in self.change_rows():
            if mask is not None:
                old, new = mask(key, old), mask(key, new)
            rows.append(
                (field_label(model, key), value_label(model, key, old, names), value_label(model, key, new, names))
            )
        return rows
