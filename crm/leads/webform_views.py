"""The public side of web forms: the hosted page, its submission, and the embedded snippet's target.

No sign-in here. The hosted page posts back to itself under Django's CSRF protection; a snippet
embedded on another site cannot carry our CSRF token, so its endpoint is exempt and relies on the
honeypot, the rate limit and the snippet's form token instead.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.client_address import client_ip
from crm.core.errors import DomainError, NotFound, ValidationFailed, apply_to_form
from crm.leads import webforms
from crm.leads.models import WebForm

# One submission is a dozen short fields; refuse anything far bigger before parsing it.
MAX_BODY_BYTES = 32 * 1024
LANGUAGES = {"zh": "zh-hans", "zh-hans": "zh-hans", "en": "en"}

FIELD_LABELS = {
    "name": pgettext_lazy("person", "Name"),
    "company_name": _("Company"),
    "title": _("Job title"),
    "mobile": _("Mobile"),
    "phone": _("Phone"),
    "email": _("Email"),
    "wechat": _("WeChat"),
    "province": _("Province"),
    "city": _("City"),
    "industry": _("Industry"),
    "notes": _("Message"),
}
INPUT_TYPES = {"mobile": "tel", "phone": "tel", "email": "email"}


class PublicForm(forms.Form):
    """The visitor's form, built from the fields the administrator chose.

    Every field is optional here: the service is the one judge of the values, so the hosted
    page and the snippet endpoint give the same messages. The form carries values and errors.
    """

    def __init__(self, *args: Any, web_form: WebForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in web_form.asked_fields:
            widget: forms.Widget
            if name == "notes":
                widget = forms.Textarea(attrs={"rows": 3})
            else:
                widget = forms.TextInput(attrs={"type": INPUT_TYPES.get(name, "text"), "autocomplete": "on"})
            self.fields[name] = forms.CharField(label=FIELD_LABELS[name], required=False, widget=widget)
        self.fields[webforms.CONSENT_FIELD] = forms.BooleanField(label=web_form.consent_text, required=False)
        self.mandatory = web_form.mandatory_fields | {webforms.CONSENT_FIELD}


def _language(request: HttpRequest) -> str | None:
    return LANGUAGES.get(request.GET.get("lang", "").lower())


def _browser_language(request: HttpRequest) -> str:
    """The best of our languages for the visitor's Accept-Language header; Chinese by default."""
    header = str(request.META.get("CRM_BROWSER_LANGUAGE") or request.META.get("HTTP_ACCEPT_LANGUAGE") or "")
    for code, _quality in parse_accept_lang_header(header[:500]):
        primary = code.lower().split("-")[0]
        if primary in ("zh", "en"):
            return LANGUAGES[primary]
    return LANGUAGES["zh"]


def _in_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """?lang=en|zh picks the page's language; otherwise the browser's Accept-Language does."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = _language(request) or _browser_language(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            return response

    return wrapped


def _visitor(request: HttpRequest) -> webforms.Visitor:
    return webforms.Visitor(
        ip_address=client_ip(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
        referrer=str(request.META.get("HTTP_REFERER", "")),
    )


def _lang_query(request: HttpRequest) -> str:
    language = request.GET.get("lang", "")
    return f"?{urlencode({'lang': language})}" if _language(request) else ""


def _page(request: HttpRequest, web_form: WebForm, form: PublicForm, status: int = 200) -> HttpResponse:
    context = {
        "web_form": web_form,
        "form": form,
        "honeypot": webforms.HONEYPOT_FIELD,
        "lang_query": _lang_query(request),
        "snippet_token_field": webforms.FORM_TOKEN_FIELD,
    }
    return render(request, "leads/webform_public.html", context, status=status)


def _missing(request: HttpRequest) -> HttpResponse:
    return render(request, "leads/webform_message.html", {"missing": True}, status=404)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_BODY_BYTES + 1


def _handle(request: HttpRequest, web_form: WebForm) -> HttpResponse:
    if _content_length(request) > MAX_BODY_BYTES:
        return render(request, "leads/webform_message.html", {"too_big": True}, status=413)
    form = PublicForm(request.POST, web_form=web_form)
    form.is_valid()
    try:
        webforms.webform_submit(form=web_form, data=request.POST.dict(), visitor=_visitor(request))
    except webforms.RateLimited as exc:
        return render(request, "leads/webform_message.html", {"limited": True, "message": exc.message}, status=429)
    except ValidationFailed as exc:
        apply_to_form(exc, form)
        return _page(request, web_form, form, status=422)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _page(request, web_form, form, status=422)
    if web_form.redirect_url:
        return redirect(web_form.redirect_url)
    return redirect(reverse("webforms:thanks", args=[web_form.token]) + _lang_query(request))


@never_cache
@_in_language
@require_http_methods(["GET", "POST"])
def webform_page_view(request: HttpRequest, token: str) -> HttpResponse:
    """The hosted form; it posts back here, protected by Django's CSRF check."""
    try:
        web_form = webforms.webform_public(token)
    except NotFound:
        return _missing(request)
    if request.method == "POST":
        return _handle(request, web_form)
    return _page(request, web_form, PublicForm(web_form=web_form))


@csrf_exempt
@never_cache
@_in_language
@require_POST
def webform_submit_view(request: HttpRequest, token: str) -> HttpResponse:
    """Where an embedded snippet posts from another site (no CSRF token; the snippet's own token)."""
    try:
        web_form = webforms.webform_public(token)
    except NotFound:
        return _missing(request)
    if not webforms.snippet_token_matches(web_form, request.POST.get(webforms.FORM_TOKEN_FIELD, "")):
        return render(request, "leads/webform_message.html", {"bad_token": True}, status=400)
    return _handle(request, web_form)


@_in_language
def webform_thanks_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        web_form = webforms.webform_public(token)
    except NotFound:
        return _missing(request)
    return render(request, "leads/webform_message.html", {"web_form": web_form, "thanks": True})
