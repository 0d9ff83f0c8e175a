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
            message = str(error.get("msg", _("Invalid value.")))
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
        return api.create_response(request, _body(str(exc), "http_error"), status=exc.status_code)
