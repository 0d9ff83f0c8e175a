"""One error shape for the whole API: {"detail": …, "code": …, "errors": [{"field", "message"}]}."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from crm.core.errors import DomainError
from crm.core.pagination import InvalidCursor


def _body(detail: str, code: str, errors: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": errors or [], **extra}


def _field_of(location: list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "payload", "filters")]
    return ".".join(parts) or "__all__"


def _message_of(error: dict[str, Any]) -> str:
    """The translated message for the common type errors; the library's own text for the rest."""
    kind = str(error.get("type", ""))
    limits = error.get("ctx") or {}
    messages = {
        "missing": _("This field is required."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "float_parsing": _("Enter a number."),
        "float_type": _("Enter a number."),
        "decimal_parsing": _("Enter a number."),
        "decimal_type": _("Enter a number."),
        "bool_parsing": _("Enter true or false."),
        "bool_type": _("Enter true or false."),
        "string_type": _("Enter text."),
        "date_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_type": _("Enter a date as YYYY-MM-DD."),
        "datetime_parsing": _("Enter a date and time in ISO 8601 format."),
        "datetime_from_date_parsing": _("Enter a date and time in ISO 8601 format."),
        "datetime_type": _("Enter a date and time in ISO 8601 format."),
        "list_type": _("Enter a list."),
        "extra_forbidden": _("This field is not allowed here."),
    }
    if kind in messages:
        return messages[kind]
    if kind in ("greater_than_equal", "greater_than") and limits:
        return _("Enter a value of at least %(limit)s.") % {"limit": limits.get("ge", limits.get("gt"))}
    if kind in ("less_than_equal", "less_than") and limits:
        return _("Enter a value of at most %(limit)s.") % {"limit": limits.get("le", limits.get("lt"))}
    if kind == "string_too_long" and "max_length" in limits:
        return _("Use at most %(max)d characters.") % {"max": limits["max_length"]}
    return str(error.get("msg", _("Invalid value.")))


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        return api.create_response(request, _body(exc.message, exc.code, errors, **exc.extra), status=exc.http_status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = []
        for error in exc.errors:
            location = list(error.get("loc", []))
            message = _message_of(error)
            if error.get("type") == "json_invalid":
                return api.create_response(
                    request, _body(_("The request body is not valid JSON."), "invalid_json"), status=400
                )
            errors.append({"field": _field_of(location), "message": message})
        return api.create_response(
            request, _body(_("Please correct the listed fields."), "validation_failed", errors), status=422
        )

    @api.exception_handler(InvalidCursor)
    def invalid_cursor(request: HttpRequest, exc: InvalidCursor) -> HttpResponse:
        message = _("This page cursor is not valid; start again from the first page.")
        return api.create_response(
            request, _body(message, "invalid_cursor", [{"field": "cursor", "message": message}]), status=400
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, _body(_("Send a valid API token or sign in."), "not_authenticated"), status=401
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, _body(_("Not found."), "not_found"), status=404)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # The framework raises these with English text: an unreadable body (400) or a failed CSRF check (403).
        messages = {
            400: _("The request body could not be read."),
            403: _("The CSRF check failed: send the CSRF token with a session, or use an API token."),
        }
        # The only 400 the framework raises is a body its JSON parser rejected.
        code = "invalid_json" if exc.status_code == 400 else "http_error"
        return api.create_response(
            request, _body(messages.get(exc.status_code, str(exc)), code), status=exc.status_code
        )
