"""Refuse NUL characters in any request before they reach a form, a service or the database.

PostgreSQL cannot store U+0000 in text; without this guard such input would end in a 500.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def _carries_nul(request: HttpRequest) -> bool:
    if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.path:
        return True
    if request.method not in {"POST", "PUT", "PATCH"}:
        return False
    if (request.content_type or "") == "multipart/form-data":
        # Uploaded files are binary (an .xlsx is a zip full of NUL bytes) and may exceed the size
        # that reading the raw body allows; only the text fields reach a form or the database.
        return any("\x00" in value for _name, values in request.POST.lists() for value in values)
    body = request.body
    if b"\x00" in body:
        return True
    content_type = request.content_type or ""
    if content_type == "application/json":
        return b"\\u0000" in body.lower()
    if content_type == "application/x-www-form-urlencoded":
        return b"%00" in body
    return False


class NulCharacterGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _carries_nul(request):
            message = _("The request contains a NUL character, which no field accepts.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "invalid_character", "errors": []}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
