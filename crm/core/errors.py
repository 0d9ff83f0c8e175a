"""The domain error hierarchy: every entrypoint maps these to one message shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """A refusal a user can act on; `code` is stable, `message` is translated."""

    code = "domain_error"
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.extra = extra or {}


class ValidationFailed(DomainError):
    code = "validation_failed"
    http_status = 422


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403


class Conflict(DomainError):
    """Someone else saved the record since the actor read it."""

    code = "conflict"
    http_status = 409


def apply_to_form(error: DomainError, form: Any) -> None:
    """Show a refusal on a Django form: field errors beside their fields, the rest on top."""
    placed = False
    for item in error.errors:
        if item.field in form.fields:
            form.add_error(item.field, item.message)
            placed = True
    if not placed or any(item.field not in form.fields for item in error.errors):
        form.add_error(None, error.message)
