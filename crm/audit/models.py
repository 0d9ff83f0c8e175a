"""The audit log table."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.actors import Source


class Verb(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    RESTORE = "restore", _("Restored")
    EXPORT = "export", _("Exported")
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGOUT = "logout", _("Signed out")
    DEACTIVATE = "deactivate", _("Deactivated")
    ACTIVATE = "activate", _("Reactivated")
    PASSWORD_CHANGE = "password_change", _("Changed password")
    TOKEN_CREATE = "token_create", _("Created API token")
    TOKEN_REVOKE = "token_revoke", _("Revoked API token")


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
