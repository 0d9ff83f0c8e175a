"""Sign-in, password, language, API tokens and the organisation administration screens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.actors import system_actor, web_actor
from crm.core.client_address import client_ip
from crm.core.errors import DomainError, NotFound, apply_to_form
from crm.identity import selectors, services
from crm.identity.authentication import UsernameOrEmailBackend
from crm.identity.forms import (
    LoginForm,
    PasswordChangeForm,
    RoleCreateForm,
    RoleForm,
    TeamForm,
    TokenForm,
    UserForm,
)
from crm.identity.models import Team, User
from crm.identity.rights import can_manage_org


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        ip = client_ip(request)
        if selectors.login_is_throttled(username=username, ip_address=ip):
            form.add_error(None, _("Too many failed attempts. Wait a few minutes before trying again."))
        else:
            user = UsernameOrEmailBackend().authenticate(
                request, username=username, password=form.cleaned_data["password"]
            )
            if user is None:
                services.login_record(actor=system_actor("sign-in"), username=username, ip_address=ip, succeeded=False)
                form.add_error(None, _("The username/email or password is not correct."))
            else:
                login(request, user, backend="crm.identity.authentication.UsernameOrEmailBackend")
                services.login_record(actor=web_actor(user), username=username, ip_address=ip, succeeded=True)
                response = redirect(_safe_next(request, reverse("web:home")))
                response.set_cookie("crm_language", user.language, max_age=365 * 24 * 3600, samesite="Lax")
                return response
    return render(request, "identity/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("identity:login")


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; signed-in users keep it on their profile."""
    language = request.POST.get("language", "")
    if language not in User.Language.values:
        language = User.Language.CHINESE
    if request.user.is_authenticated:
        services.language_set(actor=web_actor(request.user), language=language)
    response = HttpResponseRedirect(_safe_next(request, reverse("web:home")))
    response.set_cookie("crm_language", language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.password_change(
                actor=web_actor(request.user),
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            apply_to_form(exc, form)
            if "password" in {e.field for e in exc.errors}:
                form.add_error("new_password", exc.message)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("web:home")
    return render(request, "identity/password.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def tokens_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_secret = services.token_create(actor=actor, name=form.cleaned_data["name"])
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            form = TokenForm()
    tokens = selectors.token_list(user=request.user)  # type: ignore[arg-type]
    return render(request, "identity/tokens.html", {"form": form, "tokens": tokens, "new_secret": new_secret})


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.token_revoke(actor=web_actor(request.user), token_id=token_id)
    except NotFound:
        messages.error(request, _("This token does not exist."))
    else:
        messages.success(request, _("The token has been revoked."))
    return redirect("identity:tokens")


# Organisation administration ----------------------------------------------------------------


def _org_admin_only(request: HttpRequest) -> HttpResponse | None:
    if not can_manage_org(web_actor(request.user)):
        return render(request, "web/forbidden.html", status=403)
    return None


@login_required
def users_view(request: HttpRequest) -> HttpResponse:
    if (refused := _org_admin_only(request)) is not None:
        return refused
    query = request.GET.get("q", "").strip()
    users = selectors.user_list(query=query)
    return render(request, "identity/users.html", {"users": users, "q": query})


def _user_values(form: UserForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "username": data["username"],
        "full_name": data["full_name"],
        "email": data["email"],
        "mobile": data["mobile"],
        "team": data["team"],
        "is_team_manager": data["is_team_manager"],
        "role": data["role"],
        "language": data["language"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def user_edit_view(request: HttpRequest, user_id: int | None = None) -> HttpResponse:
    if (refused := _org_admin_only(request)) is not None:
        return refused
    actor = web_actor(request.user)
    existing = selectors.user_get(user_id=user_id) if user_id else None
    if user_id and existing is None:
        return render(request, "web/not_found.html", status=404)
    initial: dict[str, Any] = {"language": User.Language.CHINESE}
    if existing is not None:
        initial = {
            key: getattr(existing, key)
            for key in ("username", "full_name", "email", "mobile", "team", "is_team_manager", "role", "language")
        }
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"]
        try:
            if existing is None:
                if not password:
                    form.add_error("password", _("Set a password for the new user."))
                    raise _MissingPasswordError
                services.user_create(actor=actor, password=password, **_user_values(form))
            else:
                services.user_update(actor=actor, user_id=existing.pk, **_user_values(form))
                if password:
                    services.user_set_password(actor=actor, user_id=existing.pk, password=password)
        except DomainError as exc:
            apply_to_form(exc, form)
        except _MissingPasswordError:
            pass
        else:
            messages.success(request, _("The user has been saved."))
            return redirect("identity:users")
    return render(request, "identity/user_form.html", {"form": form, "subject": existing})


class _MissingPasswordError(Exception):
    pass


@login_required
@require_POST
def user_active_view(request: HttpRequest, user_id: int) -> HttpResponse:
    if (refused := _org_admin_only(request)) is not None:
        return refused
    is_active = request.POST.get("is_active") == "1"
    try:
        services.user_set_active(actor=web_actor(request.user), user_id=user_id, is_active=is_active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if is_active:
            messages.success(request, _("The user can sign in again."))
        else:
            messages.success(request, _("The user has been deactivated. Their records are kept."))
    return redirect("identity:users")


@login_required
@require_http_methods(["GET", "POST"])
def teams_view(request: HttpRequest) -> HttpResponse:
    if (refused := _org_admin_only(request)) is not None:
        return refused
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        parent: Team | None = form.cleaned_data["parent"]
        try:
            services.team_create(
                actor=web_actor(request.user),
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                parent_id=parent.pk if parent else None,
            )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("The team has been added."))
            return redirect("identity:teams")
    return render(request, "identity/teams.html", {"teams": selectors.team_list(), "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def team_edit_view(request: HttpRequest, team_id: int) -> HttpResponse:
    if (refused := _org_admin_only(request)) is not None:
        return refused
    team = selectors.team_get(team_id=team_id)
    if team is None:
        return render(request, "web/not_found.html", status=404)
    form = TeamForm(request.POST or None, initial={"name": team.name, "kind": team.kind, "parent": team.parent})
    if request.method == "POST" and form.is_valid():
        parent = form.cleaned_data["parent"]
        try:
            services.team_update(
                actor=web_actor(request.user),
                team_id=team.pk,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                parent_id=parent.pk if parent else None,
            )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("The team has been saved."))
            return redirect("identity:teams")
    return render(request, "identity/team_form.html", {"form": form, "team": team})


@login_required
@require_http_methods(["GET", "POST"])
def roles_view(request: HttpRequest) -> HttpResponse:
    if (refused := _org_admin_only(request)) is not None:
        return refused
    form = RoleCreateForm(request.POST or None, initial={"visibility": "own", "masks_contact_info": True})
    if request.method == "POST" and form.is_valid():
        try:
            services.role_create(actor=web_actor(request.user), **form.cleaned_data)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("The role has been added."))
            return redirect("identity:roles")
    return render(request, "identity/roles.html", {"roles": selectors.role_list(), "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def role_edit_view(request: HttpRequest, role_id: int) -> HttpResponse:
    if (refused := _org_admin_only(request)) is not None:
        return refused
    role = selectors.role_get(role_id=role_id)
    if role is None:
        return render(request, "web/not_found.html", status=404)
    fields = list(RoleForm.base_fields)
    form = RoleForm(request.POST or None, initial={name: getattr(role, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.role_update(actor=web_actor(request.user), role_id=role.pk, **form.cleaned_data)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("The role has been saved."))
            return redirect("identity:roles")
    return render(request, "identity/role_form.html", {"form": form, "role": role})
