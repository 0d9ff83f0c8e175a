"""Apply each signed-in user's chosen language to every request they make."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    """Before LocaleMiddleware: no preference yet, so default to Chinese, not the browser's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            # Kept aside for public pages (web forms), which do follow the visitor's browser.
            request.META["CRM_BROWSER_LANGUAGE"] = request.META.pop("HTTP_ACCEPT_LANGUAGE", "")
        return self.get_response(request)


class ActiveUserLanguageMiddleware:
    """After authentication: a signed-in user's saved language wins over cookies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", None) if user is not None and user.is_authenticated else None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response
